"""Tools for rule authors behind the ``rules`` commands: coverage of the worked cases, the
impact of a change, a preview of a pack's texts, one layout (``fmt``) and the JSON Schema of the
pack format. Loading and checking packs stays with :mod:`advisor.rulepack` and
:mod:`advisor.rulecheck`; these tools call them rather than repeat them."""
