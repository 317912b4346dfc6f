"""Geometry adapters: the local metric projection and the in-memory grid/road locator."""

from kaoping.geo.index import GeoIndex, GridRecord, LocatedBatch, RoadRecord
from kaoping.geo.projection import LocalProjection

__all__ = ["GeoIndex", "GridRecord", "LocalProjection", "LocatedBatch", "RoadRecord"]
