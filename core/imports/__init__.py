"""The Excel 台账 import, one pipeline for every kind of ledger (hazards, units…): a file checked by its
content (core/imports/files), kept until confirmed, checked row by row into a preview (new, update,
duplicate or invalid, each error with its row and column), then written by a core Job through the
kind's services, all or nothing, with a report of every row. A kind (core/imports/kinds) says what its
rows are; the pages (core/imports/views) and API (core/imports/api) serve every kind alike."""
