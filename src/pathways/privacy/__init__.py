"""Beneficiaries and data protection (GDPR / RODO).

People and their pseudonyms (`beneficiaries`), identity held apart and sealed, the legal basis each
agency takes part in a case on and the person's consents (`sharing`), the person's rights: access,
rectification, erasure and retention (`export`, `rectify`, `retention`), and the records of
processing (`register`). No Flask here: `api`, `web` and `cli` call these services.
"""
