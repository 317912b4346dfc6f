"""All configuration, in one place. Every field can be set with an environment variable
``KAOPING_<NAME>`` (e.g. ``KAOPING_DATABASE_URL``) or in a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KAOPING_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite:///./kaoping.db",
        description="SQLAlchemy URL. SQLite (default, embedded) or postgresql+psycopg://… .",
    )
    timezone: str = Field("Asia/Shanghai", description="Business timezone for periods and deadlines.")
    language: str = Field("zh-CN", description="Default language of pages and messages: zh-CN or en.")
    host: str = Field("127.0.0.1", description="Address the dashboard and API listen on.")
    port: int = Field(8000, description="Port the dashboard and API listen on.")
    road_snap_m: float = Field(
        50.0, description="A problem is linked to the nearest road within this many metres."
    )
    photo_dir: str = Field("./photos", description="Folder where photos sent with reports are kept.")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@lru_cache
def get_settings() -> Settings:
    return Settings()
