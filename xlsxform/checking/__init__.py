"""The rules a filled form must satisfy (required parts, the indicator
framework, the sums R1-R4), run on form data against its spec."""
