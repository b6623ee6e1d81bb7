"""An agreement as data: the dataset file format, the fields it declares, previews and new versions.

`spec` reads a stored agreement version as signers and typed fields (whatever format its file
had); `schema` validates a dataset file; `formfields` turns a declared field into a form field and
a stored value; `diff` compares two versions clause by clause.
"""
