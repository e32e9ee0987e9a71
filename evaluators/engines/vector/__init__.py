"""A whole cohort scored with numpy arrays, exactly as the compiled engine scores it one
submission at a time."""
