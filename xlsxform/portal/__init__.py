"""The web portal: departments check and return their forms through a private
link; the bureau follows the collection on a dashboard.

- :mod:`~xlsxform.portal.app`: the ASGI application (Starlette), its settings,
  error pages and middleware;
- :mod:`~xlsxform.portal.security`: passwords, CSRF, security headers, the
  upload limit and the rate limiter;
- :mod:`~xlsxform.portal.links`: the departments' private links, for
  ``xlsxform issue --portal`` and the bureau's issue page;
- :mod:`~xlsxform.portal.tables`: the portal's own tables (accounts, department
  links, sessions, audit log, the roster) in the collection's SQLite file;
- every call the pages make into the library (they never read workbooks,
  open the store or write exports themselves), typed, run in a worker
  thread, each opening what it needs, by area:
  :mod:`~xlsxform.portal.family` (the forms and their names),
  :mod:`~xlsxform.portal.checking` (a department's check of an upload),
  :mod:`~xlsxform.portal.receiving` (submit, intake, held returns, accept),
  :mod:`~xlsxform.portal.progress` (where everyone stands, what is owed, stored returns),
  :mod:`~xlsxform.portal.reports` (status workbook and roll-up) and
  :mod:`~xlsxform.portal.issuing` (rosters, templates, issuing);
- :mod:`~xlsxform.portal.department` and :mod:`~xlsxform.portal.bureau`: the pages.

Pages are plain HTML forms: no JavaScript, nothing loaded from elsewhere.
"""

from __future__ import annotations
