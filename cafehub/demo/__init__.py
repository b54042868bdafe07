"""The demo shop: a seeded generator of realistic shop data and example segments to run on it.

- :mod:`cafehub.demo.catalog`: the shop's fixed facts (products, coupon definitions, names, calendar);
- :mod:`cafehub.demo.generator`: ``generate(DemoSettings(...))`` streams the shop in chunks;
- :mod:`cafehub.demo.segments`: one example segment or more per filter of the product guide;
- :mod:`cafehub.demo.shop`: builds the shop in a store and runs the examples (``cafehub demo``).
"""
