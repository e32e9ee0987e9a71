"""Analyses over scored cohorts: attribution of rank changes between versions (`audit`)
and periods (`trend`), rank sensitivity to weights (`sensitivity`), their charts and
reports."""
