"""The `prodops` command and the demo data it loads: composes the services, which libs/ never imports."""
