"""The standard unit families every hub starts with. Unit codes follow Akeneo's measurement
families, so catalogs that leave Akeneo keep their units. Factors convert to the standard
unit; temperature is not a plain factor and is converted by ``convert`` below."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from pim.catalog.models import UnitFamily

STANDARD_UNIT_FAMILIES: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    # family: (standard unit, {unit: (factor to standard, symbol)})
    "Weight": ("KILOGRAM", {
        "MILLIGRAM": ("0.000001", "mg"), "GRAM": ("0.001", "g"), "KILOGRAM": ("1", "kg"),
        "TON": ("1000", "t"), "OUNCE": ("0.028349523125", "oz"), "POUND": ("0.45359237", "lb"),
        "GRAIN": ("0.00006479891", "gr"), "MARC": ("0.24475", "marc"),
    }),
    "Length": ("METER", {
        "MILLIMETER": ("0.001", "mm"), "CENTIMETER": ("0.01", "cm"), "DECIMETER": ("0.1", "dm"),
        "METER": ("1", "m"), "KILOMETER": ("1000", "km"), "INCH": ("0.0254", "in"),
        "FEET": ("0.3048", "ft"), "YARD": ("0.9144", "yd"), "MILE": ("1609.344", "mi"),
    }),
    "Area": ("SQUARE_METER", {
        "SQUARE_MILLIMETER": ("0.000001", "mm²"), "SQUARE_CENTIMETER": ("0.0001", "cm²"),
        "SQUARE_METER": ("1", "m²"), "SQUARE_INCH": ("0.00064516", "in²"),
        "SQUARE_FOOT": ("0.09290304", "ft²"),
    }),
    "Volume": ("CUBIC_METER", {
        "MILLILITER": ("0.000001", "ml"), "CENTILITER": ("0.00001", "cl"),
        "LITER": ("0.001", "l"), "CUBIC_CENTIMETER": ("0.000001", "cm³"),
        "CUBIC_METER": ("1", "m³"), "GALLON": ("0.00454609", "gal"),
    }),
    "Power": ("WATT", {
        "WATT": ("1", "W"), "KILOWATT": ("1000", "kW"), "MEGAWATT": ("1000000", "MW"),
        "MILLIWATT": ("0.001", "mW"),
    }),
    "Voltage": ("VOLT", {"MILLIVOLT": ("0.001", "mV"), "VOLT": ("1", "V"),
                         "KILOVOLT": ("1000", "kV")}),
    "ElectricCurrent": ("AMPERE", {"MILLIAMPERE": ("0.001", "mA"), "AMPERE": ("1", "A")}),
    "ElectricCharge": ("AMPEREHOUR", {"MILLIAMPEREHOUR": ("0.001", "mAh"),
                                      "AMPEREHOUR": ("1", "Ah")}),
    "Frequency": ("HERTZ", {
        "HERTZ": ("1", "Hz"), "KILOHERTZ": ("1000", "kHz"), "MEGAHERTZ": ("1000000", "MHz"),
        "GIGAHERTZ": ("1000000000", "GHz"),
    }),
    "Duration": ("SECOND", {
        "MILLISECOND": ("0.001", "ms"), "SECOND": ("1", "s"), "MINUTE": ("60", "min"),
        "HOUR": ("3600", "h"), "DAY": ("86400", "d"), "WEEK": ("604800", "week"),
        "MONTH": ("2628000", "month"), "YEAR": ("31536000", "year"),
    }),
    "Temperature": ("KELVIN", {"CELSIUS": ("1", "°C"), "FAHRENHEIT": ("1", "°F"),
                               "KELVIN": ("1", "K")}),
    "Binary": ("BYTE", {
        "BIT": ("0.125", "b"), "BYTE": ("1", "B"), "KILOBYTE": ("1024", "kB"),
        "MEGABYTE": ("1048576", "MB"), "GIGABYTE": ("1073741824", "GB"),
        "TERABYTE": ("1099511627776", "TB"),
    }),
    "Resolution": ("DOT_PER_INCH", {"DOT_PER_INCH": ("1", "dpi"),
                                    "DOT_PER_CENTIMETER": ("2.54", "dpcm")}),
    "Speed": ("METER_PER_SECOND", {"METER_PER_SECOND": ("1", "m/s"),
                                   "KILOMETER_PER_HOUR": ("0.277777777778", "km/h"),
                                   "MILE_PER_HOUR": ("0.44704", "mph")}),
    "Energy": ("JOULE", {"JOULE": ("1", "J"), "KILOWATT_HOUR": ("3600000", "kWh"),
                         "CALORIE": ("4.184", "cal"), "KILOCALORIE": ("4184", "kcal")}),
    "Pressure": ("PASCAL", {"PASCAL": ("1", "Pa"), "BAR": ("100000", "bar"),
                            "PSI": ("6894.757", "psi")}),
    "Intensity": ("LUMEN", {"LUMEN": ("1", "lm")}),
    "DecibelMeasurement": ("DECIBEL", {"DECIBEL": ("1", "dB")}),
    "FrameRate": ("FRAME_PER_SECOND", {"FRAME_PER_SECOND": ("1", "fps")}),
}


def ensure_unit_families(session: Session) -> int:
    """Create the standard unit families that are missing; never alter existing ones."""
    added = 0
    for code, (standard, units) in STANDARD_UNIT_FAMILIES.items():
        if session.get(UnitFamily, code) is None:
            session.add(UnitFamily(
                code=code, standard_unit=standard, labels={"en_GB": code},
                units={u: {"factor": f, "symbol": s} for u, (f, s) in units.items()},
            ))
            added += 1
    session.flush()
    return added


def convert(amount: Decimal, unit: str, to_unit: str, family: str) -> Decimal:
    """Convert within one family (temperature by its offsets, the rest by factors)."""
    if unit == to_unit:
        return amount
    if family == "Temperature":
        kelvin = {"KELVIN": lambda a: a, "CELSIUS": lambda a: a + Decimal("273.15"),
                  "FAHRENHEIT": lambda a: (a - 32) * 5 / 9 + Decimal("273.15")}[unit](amount)
        return {"KELVIN": lambda k: k, "CELSIUS": lambda k: k - Decimal("273.15"),
                "FAHRENHEIT": lambda k: (k - Decimal("273.15")) * 9 / 5 + 32}[to_unit](kelvin)
    units = STANDARD_UNIT_FAMILIES[family][1]
    return amount * Decimal(units[unit][0]) / Decimal(units[to_unit][0])
