"""The 2021 calendar as actually run, as a deployment writes it: shared by the replay test
and bench/national.py, which both start from a configuration file like an operator."""

# The as-run calendar, moved to the test's year: 2021's needs (25 Jan → 15 Mar),
# "vote and support in one step" (1 Apr → 1 May), the committee (3 May).
AS_RUN_2021 = """
[guichet]
database = "{database}"
verification = "open"
privacy_contact = "dpo@example.org"

[consultation]
slug = "transformation-numerique-2021"
title = "Transformation numérique des collectivités territoriales"
agents_may_support = false

[[consultation.phases]]
kind = "needs"
opens = 2027-01-25
closes = 2027-03-15

[[consultation.phases]]
kind = "support"
opens = 2027-04-01
closes = 2027-05-01

[[consultation.phases]]
kind = "selection"
opens = 2027-05-03
"""
