"""The staff site (`hmisbot web`): HTTP, browser and page tests."""
