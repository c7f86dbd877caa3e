"""What an operator runs: the command line, start-up, health and metrics endpoints, logs,
maintenance.
"""
