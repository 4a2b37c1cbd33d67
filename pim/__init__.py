"""The PIM hub. Kept import-light: ``pim.records`` must load without the heavy stack."""

__version__ = "0.1.0"
