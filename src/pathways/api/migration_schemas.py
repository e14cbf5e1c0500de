"""Request and response schemas of instance migration (`/api/v1/definitions/{key}/migrations`)."""

from __future__ import annotations

import marshmallow as ma

_VERSION = ma.validate.Range(min=1, max=2**31 - 1)
_ID = ma.validate.Length(min=1, max=200)


class MigrationRequestSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    from_version = ma.fields.Integer(required=True, validate=_VERSION, metadata={"description": "the cases' version"})
    to_version = ma.fields.Integer(required=True, validate=_VERSION, metadata={"description": "the version to move to"})
    map = ma.fields.Dict(keys=ma.fields.String(validate=_ID), values=ma.fields.String(validate=_ID),
                         load_default=dict, validate=ma.validate.Length(max=200),
                         metadata={"description": "old element id -> the new version's element that replaces it"})
    dry_run = ma.fields.Boolean(load_default=True, metadata={"description": "true (default): only say what would "
                                                                           "happen; false: move the cases"})


class _Task(ma.Schema):
    task_id = ma.fields.String()
    element = ma.fields.String()
    name = ma.fields.String()
    change = ma.fields.String(metadata={"description": "kept, renamed, mapped, created or removed"})
    old_element = ma.fields.String()
    old_name = ma.fields.String()
    fields_added = ma.fields.List(ma.fields.String())
    fields_removed = ma.fields.List(ma.fields.String())
    roles = ma.fields.List(ma.fields.String(), metadata={"description": "the new roles, when they change"})


class _Timer(ma.Schema):
    timer_id = ma.fields.String()
    element = ma.fields.String()
    old_element = ma.fields.String()
    change = ma.fields.String(metadata={"description": "kept, rescheduled, mapped, created or removed"})
    due_at = ma.fields.String(metadata={"description": "the due time on the new version (ISO 8601)"})
    old_due_at = ma.fields.String()


class CaseMigrationSchema(ma.Schema):
    case_id = ma.fields.Integer()
    movable = ma.fields.Boolean()
    reasons = ma.fields.List(ma.fields.String(), metadata={"description": "why the case cannot move (no case value)"})
    tasks = ma.fields.List(ma.fields.Nested(_Task))
    timers = ma.fields.List(ma.fields.Nested(_Timer))
    outcome = ma.fields.String(metadata={"description": "applied only: migrated, skipped, refused or conflict"})


class _Renamed(ma.Schema):
    element = ma.fields.String()
    old_name = ma.fields.String()
    name = ma.fields.String()


class _Changes(ma.Schema):
    added = ma.fields.List(ma.fields.String())
    removed = ma.fields.List(ma.fields.String())
    renamed = ma.fields.List(ma.fields.Nested(_Renamed))


class MigrationResultSchema(ma.Schema):
    key = ma.fields.String()
    from_version = ma.fields.Integer()
    to_version = ma.fields.Integer()
    map = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    dry_run = ma.fields.Boolean()
    changes = ma.fields.Nested(_Changes, metadata={"description": "dry run only: what differs between the versions"})
    cases = ma.fields.List(ma.fields.Nested(CaseMigrationSchema))
    movable = ma.fields.Integer(metadata={"description": "dry run: cases that can move"})
    refused = ma.fields.Integer(metadata={"description": "cases that cannot move"})
    migrated = ma.fields.Integer(metadata={"description": "applied: cases moved"})
    skipped = ma.fields.Integer()
    conflict = ma.fields.Integer(metadata={"description": "applied: cases that changed while moving (run again)"})
    remaining = ma.fields.Integer(metadata={"description": "applied: active cases still on the old version"})
