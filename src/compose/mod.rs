//! The Compose model: what Compose sees after anchors, merges, interpolation, `include` and
//! `extends`, with a map back to the text each value came from.
