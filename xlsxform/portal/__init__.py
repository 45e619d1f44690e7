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
- :mod:`~xlsxform.portal.services`: every call into the library, in one place;
- :mod:`~xlsxform.portal.department` and :mod:`~xlsxform.portal.bureau`: the pages.

Pages are plain HTML forms: no JavaScript, nothing loaded from elsewhere.
"""

from __future__ import annotations
