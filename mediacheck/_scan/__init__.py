"""The streaming scan of a file's bytes: sniffing the format, walking MPEG frames, accounting for tags and junk.

Everything here measures; nothing judges. The scanner hands :class:`mediacheck._facts.MediaFacts` to the rules.
"""
