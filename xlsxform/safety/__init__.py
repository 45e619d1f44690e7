"""The gate every received file passes before any spreadsheet library sees
its bytes: what the file really is, and hostile or broken files refused."""
