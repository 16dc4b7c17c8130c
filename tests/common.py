"""Small named fixtures shared by the map, layer and injection tests.

Places are real GeoNames rows (CC BY 4.0); payloads are the HTML/JS injections
every writer must render as text.
"""

from geomap.models import Place

KYIV = Place(703448, "Kyiv", 50.45466, 30.5238, "UA", "Kyiv City", "city")
KHARKIV = Place(706483, "Kharkiv", 49.98081, 36.25272, "UA", "Kharkiv", "city")
MYKOLAIV = Place(700569, "Mykolaiv", 46.96591, 31.9974, "UA", "Mykolaiv", "city")
DNIPRO = Place(709930, "Dnipro", 48.4593, 35.03865, "UA", "Dnipropetrovsk", "city")
ODESA = Place(698740, "Odesa", 46.47747, 30.73262, "UA", "Odessa", "city")
LVIV = Place(702550, "Lviv", 49.83826, 24.02324, "UA", "Lviv", "city")

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '"><img src=x onerror="window.__pwned=1">'
JS_URL = "javascript:window.__pwned=1"


class FnExecutor:
    """An executor whose work is a plain function ``articles -> results``."""

    def __init__(self, fn):
        self.map = fn

    def close(self):
        pass
