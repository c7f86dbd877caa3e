"""What leaves and when: the outbox sender, pacing, fan-out, phase notices, and the
scheduler with its daily jobs (retention). Drives the backends; knows no flow.
"""
