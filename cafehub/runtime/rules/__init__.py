"""The guide's rules, one pure function each, over snapshots and settings; decisions come back as values.

``eligibility`` (request buttons and display periods), ``cancel`` (mode,
refund route, refund account, the Cafe24 write), ``returns`` (reasons,
photos, filing, exchange variants), ``address`` (refusals, field limits,
phones), ``surcharges`` (remote-area postal codes), ``eta`` (the shipping
planner). Nothing here does I/O.
"""
