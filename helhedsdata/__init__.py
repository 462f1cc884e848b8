"""helhedsdata: the indicator warehouse for jobcenters and boligsociale helhedsplaner."""
__version__ = "0.1.0"
