"""What the tests share: clients, assertions, seed data, files and fake servers.

Test modules and conftest files import helpers from here and from nowhere else under ``tests``
(``tests/test_structure.py`` checks it); fixtures stay in the conftest files.
"""
