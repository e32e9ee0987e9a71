"""Scoring a submission by a program: the plan of a program (cleaning inputs, points of a
leaf, aggregation up the tree, N/A policies) and ranking of scored cohorts. Engines only
decide leaf cases; everything else is computed here, once, for every engine."""
