from piccolo.conf.apps import AppConfig, table_finder

from server.settings import ROOT

APP_CONFIG = AppConfig(
    app_name="events",
    migrations_folder_path=str(ROOT / "migrations" / "events"),
    table_classes=table_finder(["events.tables"], exclude_imported=True),
    migration_dependencies=["server.piccolo_app"],
)
