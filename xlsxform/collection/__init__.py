"""The bureau's collection loop: rosters, issuing the forms (workbooks and
e-mail), taking returns in, the database, status and the roll-up."""
