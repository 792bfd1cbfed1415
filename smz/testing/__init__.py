"""Helpers shared by the test suites (issue 12 item 7): build data, files and clients; no tests here."""
