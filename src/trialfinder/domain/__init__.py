"""The pure domain model: value objects and the trial aggregate. No I/O, no framework imports."""
