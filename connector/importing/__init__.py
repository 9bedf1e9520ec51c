"""Import and export of the network as CSV and JSON files."""

from connector.importing.exporter import export_network
from connector.importing.importer import ImportProgress, ImportReport, import_file, import_files

__all__ = ["ImportProgress", "ImportReport", "export_network", "import_file", "import_files"]
