"""The pipeline stages: raw files -> articles -> statements.

read (files -> RawFile), parse (RawFile -> ParsedRecord), record_rules (ParsedRecord -> Article
or findings), table_rules (rules over all accepted rows), dedup (articles -> statements). Each is
a plain function (or small class) of its input: the runtime applies them to many files.
"""
