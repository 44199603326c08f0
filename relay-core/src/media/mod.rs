//! Call-audio stream messages, G.711 codecs and per-track assembly (the stream URL side).
