from piccolo.conf.apps import AppConfig, table_finder

from server.settings import ROOT

APP_CONFIG = AppConfig(
    app_name="server",
    migrations_folder_path=str(ROOT / "migrations" / "server"),
    table_classes=table_finder(["server.tables"], exclude_imported=True),
)
