"""Bottom layer: neutral messages, clock, i18n, configuration, router and context; knows no
platform and no flow.
"""
