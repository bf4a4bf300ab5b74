"""Looking at a series as an auditor does: every problem (:mod:`.check`), a summary of
what it holds (:mod:`.summary`, ``tvips-ks info``) and its bytes field by field
(:mod:`.dump`, ``tvips-ks dump``).  The command line only formats these."""
