"""The bottom layer: what every other package may use and which imports nothing of pathways.

`clock` is the one notion of time (aware UTC, the Europe/Warsaw zone of the case workers);
`values` turns stored and computed values into plain JSON.
"""
