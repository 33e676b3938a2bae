"""Documents on disk: decoding text files, encodings, atomic saves that keep permissions, recovery."""
