"""The FEEL grammar of DMN 1.3 (chapter 10.3.1.2) for lark's LALR(1) parser.

Two start symbols: `expression` (a literal expression, a context entry, a condition) and
`unary_tests` (a decision table input entry). Names may contain spaces (`Monthly Salary`): a name is
one or more words, joined with single spaces when the tree is compiled. Names that contain an operator
or a keyword (`Loan-to-Value`, `Is Affordable and Safe`) are written between backticks by the parser's
pre-pass when they are known variables; backticks are not FEEL, only our tokens for such names.
Built-in functions whose names hold a keyword (`date and time`, `index of`) are terminals of their own.
"""

KEYWORDS = ("and", "or", "in", "return", "then", "else", "satisfies", "between", "instance", "of", "for", "if",
            "some", "every", "function", "true", "false", "null", "external")
MULTIWORD_BUILTINS = ("date and time", "years and months duration", "days and time duration", "day of week",
                      "day of year", "month of year", "week of year", "index of")

GRAMMAR = r"""
?start_expression: expression
start_unary_tests: positive_unary_test ("," positive_unary_test)*

?positive_unary_test: "<" expression  -> lt_test
    | "<=" expression                 -> le_test
    | ">" expression                  -> gt_test
    | ">=" expression                 -> ge_test
    | "=" expression                  -> eq_test
    | "!=" expression                 -> ne_test
    | expression                      -> expr_test

?expression: for_expr | if_expr | quantified | function_def | disjunction

for_expr: "for" iteration ("," iteration)* "return" expression
iteration: name "in" expression ".." expression -> range_iteration
    | name "in" expression                      -> list_iteration
if_expr: "if" expression "then" expression "else" expression
quantified: QUANTIFIER name "in" expression ("," name "in" expression)* "satisfies" expression
QUANTIFIER: "some" | "every"
function_def: "function" "(" [parameter ("," parameter)*] ")" EXTERNAL? expression
parameter: name (":" type)?
EXTERNAL: "external"

?disjunction: disjunction "or" conjunction -> or_
    | conjunction
?conjunction: conjunction "and" comparison -> and_
    | comparison
?comparison: additive "=" additive                -> eq
    | additive "!=" additive                        -> ne
    | additive "<" additive                         -> lt
    | additive "<=" additive                        -> le
    | additive ">" additive                         -> gt
    | additive ">=" additive                        -> ge
    | additive "between" additive "and" additive    -> between
    | additive "in" "(" in_test ("," in_test)+ ")"  -> in_list
    | additive "in" in_test                         -> in_single
    | additive "in" "(" in_comparison ")"           -> in_single
    | additive "instance" "of" type                 -> instance_of
    | additive
?in_test: in_comparison
    | additive           -> expr_test
?in_comparison: "<" additive -> lt_test
    | "<=" additive      -> le_test
    | ">" additive       -> gt_test
    | ">=" additive      -> ge_test

?additive: additive ADD_OP multiplicative -> arith
    | multiplicative
ADD_OP: "+" | "-"
?multiplicative: multiplicative MUL_OP power -> arith
    | power
MUL_OP: "*" | "/"
// as the TCK (and most engines) read it: `-3 ** 2` is 9, `3 ** 4 ** 5` is (3 ** 4) ** 5
?power: power POW_OP unary -> arith
    | unary
POW_OP: "**"
?unary: "-" unary -> negate
    | postfix

?postfix: postfix "." name       -> path
    | postfix "[" expression "]" -> filter
    | postfix "(" arguments? ")" -> call
    | primary

arguments: expression ("," expression)*        -> positional
    | name ":" expression ("," name ":" expression)* -> named

?primary: literal
    | name
    | "?"                                -> input_value
    | "[" [expression ("," expression)*] "]" -> list
    | "{" [entry ("," entry)*] "}"       -> context
    | "(" expression ")"
    | "[" expression ".." expression interval_end -> closed_start_interval
    | "(" expression ".." expression interval_end -> open_start_interval
    | OPEN_START_BRACKET expression ".." expression interval_end -> open_start_interval
    | "@" STRING                         -> temporal
    | "(" COMPARISON_OP expression ")"  -> comparison_range

// DMN 1.4's ranges written as a comparison: `(< 10)`, `(>= 18)`, `(= 5)`, `(!= 5)`
COMPARISON_OP: "<=" | ">=" | "!=" | "<" | ">" | "="

interval_end: "]" -> closed_end
    | ")"          -> open_end
    | OPEN_END_BRACKET -> open_end
// `]1..10]`: a `]` that opens a range (a `..` follows before any other bracket or comma)
OPEN_START_BRACKET.2: /\](?=[^\[\](),]*\.\.)/
// `[1..10[`: a `[` that cannot start a filter (nothing follows but the end, a comma or a closing bracket)
OPEN_END_BRACKET.2: /\[(?=\s*($|[,)\]=!]|\.(?!\d)|(and|or|then|else|return|satisfies)(?![\w'])))/

entry: (name | STRING) ":" expression

?literal: NUMBER -> number
    | STRING     -> string
    | "true"     -> true
    | "false"    -> false
    | "null"     -> null

type: name ("<" type ("," type)* ">")?
    | name "<" type_entry ("," type_entry)* ">" -> context_type
    | "function" "<" [type ("," type)*] ">" "->" type -> function_type
type_entry: name ":" type

name: (WORD | QUOTED_NAME | MULTIWORD_BUILTIN)+

QUOTED_NAME: /`[^`]+`/
NUMBER: /(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?/
STRING: /"(?:[^"\\]|\\.)*"/
COMMENT: /\/\/[^\n]*/ | /\/\*(.|\n)*?\*\//

%import common.WS
%ignore WS
%ignore COMMENT
"""
GRAMMAR += (
    "MULTIWORD_BUILTIN.3: /(" + "|".join(n.replace(" ", r"\s+") for n in MULTIWORD_BUILTINS) + r")(?![\w'])/" + "\n"
    + "WORD: /(?!(" + "|".join(KEYWORDS) + r")(?![\w']))[A-Za-z_\u00C0-\uFFFF][\w']*/" + "\n"
)
