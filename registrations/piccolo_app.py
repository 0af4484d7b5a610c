from piccolo.conf.apps import AppConfig, table_finder

from server.settings import ROOT

APP_CONFIG = AppConfig(
    app_name="registrations",
    migrations_folder_path=str(ROOT / "migrations" / "registrations"),
    table_classes=table_finder(["registrations.tables"], exclude_imported=True),
    migration_dependencies=["events.piccolo_app"],
)
