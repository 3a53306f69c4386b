"""Small helpers every layer shares: message text and the one atomic file writer.

Nothing here knows about CX; each helper is the single definition of its rule.
"""
