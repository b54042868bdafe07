"""Structured chat messages (:mod:`.model`) and the ja/ko/en catalogue with Babel formatting (:mod:`.catalogue`)."""
