"""Typed identifiers, so that a grid id can never be passed where a district id is expected."""

from typing import NewType

UnitId = NewType("UnitId", int)
"""An administrative unit: city, district/county, town/street or community."""
GridId = NewType("GridId", int)
RoadId = NewType("RoadId", int)
DepartmentId = NewType("DepartmentId", int)
PersonId = NewType("PersonId", int)
CategoryId = NewType("CategoryId", int)
ProblemId = NewType("ProblemId", int)
GroupId = NewType("GroupId", int)
ItemId = NewType("ItemId", int)
CaseId = NewType("CaseId", int)
FindingId = NewType("FindingId", int)
