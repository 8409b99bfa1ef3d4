"""Real names where we know them (entities, parties, Morelos and Estado de México municipios, CDMX alcaldías),
plausible generated ones elsewhere (municipios of the other 29 entities, independent candidates).

Names are upper case without accents, as INE's databases write them.
"""

from __future__ import annotations

import numpy as np

# id, name, lista nominal 2024 (millions, approximate), distritos federales (2017 distritación, sums to 300),
# distritos locales MR (approximate), municipios, hours of arrival delay vs. the centre (UTC-7 states +1,
# publication runs on central time), party strength tilts.
ENTIDADES = (
    (1, "AGUASCALIENTES", 1.07, 3, 18, 11, 0.0, (("PAN", 1.6),)),
    (2, "BAJA CALIFORNIA", 3.00, 8, 17, 7, 1.0, (("MORENA", 1.1),)),
    (3, "BAJA CALIFORNIA SUR", 0.60, 2, 16, 5, 1.0, ()),
    (4, "CAMPECHE", 0.68, 2, 21, 13, 0.0, (("MC", 1.8),)),
    (5, "COAHUILA", 2.40, 7, 16, 38, 0.0, (("PRI", 1.8),)),
    (6, "COLIMA", 0.57, 2, 16, 10, 0.0, ()),
    (7, "CHIAPAS", 3.90, 13, 24, 124, 0.0, (("MORENA", 1.3), ("PVEM", 1.5))),
    (8, "CHIHUAHUA", 2.90, 9, 22, 67, 0.0, (("PAN", 1.5),)),
    (9, "CIUDAD DE MEXICO", 7.70, 24, 33, 16, 0.0, (("MORENA", 1.05), ("PAN", 1.1))),
    (10, "DURANGO", 1.34, 4, 15, 39, 0.0, (("PRI", 1.4),)),
    (11, "GUANAJUATO", 4.70, 15, 22, 46, 0.0, (("PAN", 1.8),)),
    (12, "GUERRERO", 2.70, 9, 28, 85, 0.0, (("MORENA", 1.15),)),
    (13, "HIDALGO", 2.30, 7, 18, 84, 0.0, ()),
    (14, "JALISCO", 6.40, 20, 20, 125, 0.0, (("MC", 2.6),)),
    (15, "MEXICO", 12.70, 41, 45, 125, 0.0, (("PRI", 1.2),)),
    (16, "MICHOACAN", 3.60, 12, 24, 113, 0.0, (("PRD", 1.8),)),
    (17, "MORELOS", 1.50, 5, 12, 36, 0.0, ()),
    (18, "NAYARIT", 0.91, 3, 18, 20, 1.0, ()),
    (19, "NUEVO LEON", 4.40, 12, 26, 51, 0.0, (("MC", 2.4), ("PRI", 1.2))),
    (20, "OAXACA", 3.00, 10, 25, 570, 0.0, (("MORENA", 1.25),)),
    (21, "PUEBLA", 4.80, 15, 26, 217, 0.0, ()),
    (22, "QUERETARO", 1.80, 5, 15, 18, 0.0, (("PAN", 1.7),)),
    (23, "QUINTANA ROO", 1.40, 4, 15, 11, 0.0, ()),
    (24, "SAN LUIS POTOSI", 2.10, 7, 15, 59, 0.0, (("PVEM", 2.0),)),
    (25, "SINALOA", 2.30, 7, 24, 20, 1.0, ()),
    (26, "SONORA", 2.20, 7, 21, 72, 1.0, ()),
    (27, "TABASCO", 1.80, 6, 21, 17, 0.0, (("MORENA", 1.35),)),
    (28, "TAMAULIPAS", 2.70, 9, 22, 43, 0.0, (("PAN", 1.2),)),
    (29, "TLAXCALA", 1.00, 3, 15, 60, 0.0, ()),
    (30, "VERACRUZ", 6.00, 20, 30, 212, 0.0, ()),
    (31, "YUCATAN", 1.70, 5, 15, 106, 0.0, (("PAN", 1.5),)),
    (32, "ZACATECAS", 1.20, 4, 18, 58, 0.0, ()),
)

PARTIDOS_NACIONALES = (
    ("PAN", "Partido Acción Nacional", "#0059B3"),
    ("PRI", "Partido Revolucionario Institucional", "#E2231A"),
    ("PRD", "Partido de la Revolución Democrática", "#FFCC00"),
    ("PVEM", "Partido Verde Ecologista de México", "#50B748"),
    ("PT", "Partido del Trabajo", "#D52B1E"),
    ("MC", "Movimiento Ciudadano", "#FF8300"),
    ("MORENA", "Morena", "#A6192E"),
)

# Morelos: INEGI order, 33 historical municipios plus the three indigenous ones created in 2017-2019.
MORELOS_MUNICIPIOS = (
    ("AMACUZAC", 17.8), ("ATLATLAHUCAN", 25.0), ("AXOCHIAPAN", 38.0), ("AYALA", 89.0),
    ("COATLAN DEL RIO", 9.8), ("CUAUTLA", 187.0), ("CUERNAVACA", 378.0), ("EMILIANO ZAPATA", 107.0),
    ("HUITZILAC", 24.5), ("JANTETELCO", 17.5), ("JIUTEPEC", 215.0), ("JOJUTLA", 57.0),
    ("JONACATEPEC DE LEANDRO VALLE", 16.0), ("MAZATEPEC", 9.9), ("MIACATLAN", 24.0), ("OCUITUCO", 19.0),
    ("PUENTE DE IXTLA", 66.0), ("TEMIXCO", 122.0), ("TEPALCINGO", 27.0), ("TEPOZTLAN", 54.0),
    ("TETECALA", 7.8), ("TETELA DEL VOLCAN", 13.0), ("TLALNEPANTLA", 7.2), ("TLALTIZAPAN DE ZAPATA", 54.0),
    ("TLAQUILTENANGO", 33.0), ("TLAYACAPAN", 18.0), ("TOTOLAPAN", 11.0), ("XOCHITEPEC", 73.0),
    ("YAUTEPEC", 105.0), ("YECAPIXTLA", 57.0), ("ZACATEPEC", 37.0), ("ZACUALPAN DE AMILPAS", 9.7),
    ("TEMOAC", 16.0), ("COATETELCO", 10.0), ("XOXOCOTLA", 27.0), ("HUEYAPAN", 7.0),
)

# Estado de México: INEGI order (001..125), population 2020 in thousands where known; others get a
# small default.
EDOMEX_MUNICIPIOS = (
    ("ACAMBAY DE RUIZ CASTANEDA", 69), ("ACOLMAN", 171), ("ACULCO", 49), ("ALMOLOYA DE ALQUISIRAS", 15),
    ("ALMOLOYA DE JUAREZ", 174), ("ALMOLOYA DEL RIO", 12), ("AMANALCO", 25), ("AMATEPEC", 27),
    ("AMECAMECA", 53), ("APAXCO", 31), ("ATENCO", 75), ("ATIZAPAN", 13), ("ATIZAPAN DE ZARAGOZA", 523),
    ("ATLACOMULCO", 109), ("ATLAUTLA", 31), ("AXAPUSCO", 29), ("AYAPANGO", 11), ("CALIMAYA", 68),
    ("CAPULHUAC", 36), ("COACALCO DE BERRIOZABAL", 293), ("COATEPEC HARINAS", 39), ("COCOTITLAN", 15),
    ("COYOTEPEC", 41), ("CUAUTITLAN", 178), ("CHALCO", 400), ("CHAPA DE MOTA", 29), ("CHAPULTEPEC", 12),
    ("CHIAUTLA", 30), ("CHICOLOAPAN", 227), ("CHICONCUAC", 27), ("CHIMALHUACAN", 705), ("DONATO GUERRA", 38),
    ("ECATEPEC DE MORELOS", 1645), ("ECATZINGO", 10), ("HUEHUETOCA", 163), ("HUEYPOXTLA", 46),
    ("HUIXQUILUCAN", 284), ("ISIDRO FABELA", 12), ("IXTAPALUCA", 542), ("IXTAPAN DE LA SAL", 36),
    ("IXTAPAN DEL ORO", 7), ("IXTLAHUACA", 160), ("XALATLACO", 30), ("JALTENCO", 28), ("JILOTEPEC", 87),
    ("JILOTZINGO", 20), ("JIQUIPILCO", 77), ("JOCOTITLAN", 70), ("JOQUICINGO", 15), ("JUCHITEPEC", 27),
    ("LERMA", 170), ("MALINALCO", 28), ("MELCHOR OCAMPO", 57), ("METEPEC", 242), ("MEXICALTZINGO", 13),
    ("MORELOS", 31), ("NAUCALPAN DE JUAREZ", 834), ("NEZAHUALCOYOTL", 1077), ("NEXTLALPAN", 57),
    ("NICOLAS ROMERO", 430), ("NOPALTEPEC", 10), ("OCOYOACAC", 72), ("OCUILAN", 35), ("EL ORO", 38),
    ("OTUMBA", 37), ("OTZOLOAPAN", 4), ("OTZOLOTEPEC", 88), ("OZUMBA", 30), ("PAPALOTLA", 4),
    ("LA PAZ", 304), ("POLOTITLAN", 14), ("RAYON", 15), ("SAN ANTONIO LA ISLA", 31),
    ("SAN FELIPE DEL PROGRESO", 139), ("SAN MARTIN DE LAS PIRAMIDES", 29), ("SAN MATEO ATENCO", 97),
    ("SAN SIMON DE GUERRERO", 6), ("SANTO TOMAS", 10), ("SOYANIQUILPAN DE JUAREZ", 16), ("SULTEPEC", 26),
    ("TECAMAC", 547), ("TEJUPILCO", 78), ("TEMAMATLA", 14), ("TEMASCALAPA", 41), ("TEMASCALCINGO", 64),
    ("TEMASCALTEPEC", 33), ("TEMOAYA", 105), ("TENANCINGO", 104), ("TENANGO DEL AIRE", 13),
    ("TENANGO DEL VALLE", 90), ("TEOLOYUCAN", 66), ("TEOTIHUACAN", 59), ("TEPETLAOXTOC", 31),
    ("TEPETLIXPA", 20), ("TEPOTZOTLAN", 103), ("TEQUIXQUIAC", 38), ("TEXCALTITLAN", 19), ("TEXCALYACAC", 5),
    ("TEXCOCO", 277), ("TEZOYUCA", 47), ("TIANGUISTENCO", 84), ("TIMILPAN", 16), ("TLALMANALCO", 47),
    ("TLALNEPANTLA DE BAZ", 672), ("TLATLAYA", 34), ("TOLUCA", 910), ("TONATICO", 13), ("TULTEPEC", 157),
    ("TULTITLAN", 516), ("VALLE DE BRAVO", 67), ("VILLA DE ALLENDE", 52), ("VILLA DEL CARBON", 51),
    ("VILLA GUERRERO", 69), ("VILLA VICTORIA", 108), ("XONACATLAN", 54), ("ZACAZONAPAN", 4),
    ("ZACUALPAN", 15), ("ZINACANTEPEC", 203), ("ZUMPAHUACAN", 17), ("ZUMPANGO", 280),
    ("CUAUTITLAN IZCALLI", 555), ("VALLE DE CHALCO SOLIDARIDAD", 391), ("LUVIANOS", 27),
    ("SAN JOSE DEL RINCON", 102), ("TONANITLA", 14),
)

CDMX_ALCALDIAS = (
    ("AZCAPOTZALCO", 432), ("COYOACAN", 614), ("CUAJIMALPA DE MORELOS", 217), ("GUSTAVO A. MADERO", 1173),
    ("IZTACALCO", 404), ("IZTAPALAPA", 1835), ("LA MAGDALENA CONTRERAS", 247), ("MILPA ALTA", 152),
    ("ALVARO OBREGON", 759), ("TLAHUAC", 392), ("TLALPAN", 699), ("XOCHIMILCO", 442), ("BENITO JUAREZ", 434),
    ("CUAUHTEMOC", 545), ("MIGUEL HIDALGO", 414), ("VENUSTIANO CARRANZA", 443),
)

# Durango: INEGI order (001..039), population 2020 in thousands, rounded.
DURANGO_MUNICIPIOS = (
    ("CANATLAN", 32), ("CANELAS", 4), ("CONETO DE COMONFORT", 4), ("CUENCAME", 35), ("DURANGO", 688),
    ("GENERAL SIMON BOLIVAR", 10), ("GOMEZ PALACIO", 372), ("GUADALUPE VICTORIA", 36), ("GUANACEVI", 10),
    ("HIDALGO", 4), ("INDE", 5), ("LERDO", 163), ("MAPIMI", 26), ("MEZQUITAL", 48), ("NAZAS", 13),
    ("NOMBRE DE DIOS", 20), ("OCAMPO", 10), ("EL ORO", 11), ("OTAEZ", 5), ("PANUCO DE CORONADO", 12),
    ("PENON BLANCO", 11), ("POANAS", 25), ("PUEBLO NUEVO", 53), ("RODEO", 13), ("SAN BERNARDO", 3),
    ("SAN DIMAS", 20), ("SAN JUAN DE GUADALUPE", 5), ("SAN JUAN DEL RIO", 12), ("SAN LUIS DEL CORDERO", 2),
    ("SAN PEDRO DEL GALLO", 2), ("SANTA CLARA", 7), ("SANTIAGO PAPASQUIARO", 48), ("SUCHIL", 7),
    ("TAMAZULA", 27), ("TEPEHUANES", 11), ("TLAHUALILO", 23), ("TOPIA", 9), ("VICENTE GUERRERO", 23),
    ("NUEVO IDEAL", 28),
)

KNOWN_MUNICIPIOS = {17: MORELOS_MUNICIPIOS, 15: EDOMEX_MUNICIPIOS, 9: CDMX_ALCALDIAS, 10: DURANGO_MUNICIPIOS}

_SAINTS = ("SAN JUAN", "SAN PEDRO", "SAN MIGUEL", "SAN FRANCISCO", "SANTA MARIA", "SANTIAGO", "SAN ANDRES",
           "SANTA CRUZ", "SAN LUIS", "SAN JOSE", "SANTO DOMINGO", "SAN MATEO", "SANTA ANA", "SAN BARTOLO",
           "SAN MARTIN", "SANTA CATARINA", "SAN AGUSTIN", "SAN LORENZO", "SAN FELIPE", "SAN SEBASTIAN")
_ROOTS = ("TLA", "TEPE", "XO", "CHI", "ZACA", "TEO", "OCO", "IXTLA", "HUE", "CUA", "AMA", "ATO", "TECO",
          "MAZA", "COA", "TEMA", "ACA", "ZAPO", "TOTO", "XALA", "IXTE", "OZO", "TEXCA", "CHALCHI", "TLAL",
          "HUAU", "MIXTE", "TZIN", "AHUA", "YAHUA", "QUIA", "NOPA", "ETZA", "TIZA", "CUAUH", "ZONGO")
_MIDS = ("", "", "", "CHI", "TLA", "PAL", "MAL", "CAL", "NEN", "QUI", "TEN", "XI", "HUA", "LO", "PIL")
_ENDS = ("PAN", "TLAN", "CO", "TEPEC", "CINGO", "YUCA", "TITLAN", "APAN", "ZINGO", "LTEPEC", "TLA", "CAN",
         "HUACAN", "NCO", "LUCA", "XTLA", "COTLA", "HUACA")
_SPANISH = ("VILLA DE", "VALLE DE", "SANTA ROSA DE", "PUERTO", "CIUDAD", "NUEVO", "GENERAL", "EL", "LA",
            "LOS", "MINERAL DE", "REAL DE")
_HEROES = ("HIDALGO", "MORELOS", "JUAREZ", "ALLENDE", "GUERRERO", "ALDAMA", "ZARAGOZA", "MATAMOROS",
           "VICTORIA", "ESCOBEDO", "OBREGON", "CARRANZA", "ZAPATA", "MADERO", "ABASOLO", "BRAVO", "GALEANA")
_PLACES = ("ROSARIO", "PROGRESO", "REFUGIO", "MOLINO", "LLANO", "RANCHO", "PALMAR", "SALTO", "CARMEN",
           "ORO", "SAUCE", "ALAMO", "NOGAL", "MEZQUITAL", "ENCINO", "CEDRAL", "PINAL", "ARENAL", "POTRERO")


def _nahuatl(rng: np.random.Generator) -> str:
    return (_ROOTS[rng.integers(len(_ROOTS))] + _MIDS[rng.integers(len(_MIDS))]
            + _ENDS[rng.integers(len(_ENDS))])


def plausible_municipios(n: int, rng: np.random.Generator) -> tuple[str, ...]:
    """n distinct made-up municipio names in the styles Mexico uses, sorted as INEGI sorts them."""
    out: set[str] = set()
    while len(out) < n:
        kind = rng.random()
        if kind < 0.45:
            name = _nahuatl(rng)
        elif kind < 0.70:
            name = f"{_SAINTS[rng.integers(len(_SAINTS))]} {_nahuatl(rng)}"
        elif kind < 0.85:
            name = f"{_nahuatl(rng)} DE {_HEROES[rng.integers(len(_HEROES))]}"
        else:
            word = _SPANISH[rng.integers(len(_SPANISH))]
            tail = _PLACES[rng.integers(len(_PLACES))] if word in ("EL", "LA", "LOS") else (
                _HEROES[rng.integers(len(_HEROES))] if rng.random() < 0.5 else _nahuatl(rng))
            name = f"{word} {tail}"
        out.add(name)
    return tuple(sorted(out))


_NOMBRES = ("JUAN", "MARIA", "JOSE", "GUADALUPE", "FRANCISCO", "ANA", "CARLOS", "LETICIA", "MIGUEL", "ROSA",
            "JESUS", "PATRICIA", "ALEJANDRO", "VERONICA", "ROBERTO", "CLAUDIA", "FERNANDO", "GABRIELA",
            "ARTURO", "ADRIANA", "RAUL", "SILVIA", "JORGE", "LAURA", "EDUARDO", "MONICA", "RICARDO", "ELENA")
_APELLIDOS = ("HERNANDEZ", "GARCIA", "MARTINEZ", "LOPEZ", "GONZALEZ", "PEREZ", "RODRIGUEZ", "SANCHEZ",
              "RAMIREZ", "CRUZ", "FLORES", "GOMEZ", "MORALES", "VAZQUEZ", "REYES", "JIMENEZ", "TORRES", "DIAZ",
              "GUTIERREZ", "RUIZ", "MENDOZA", "AGUILAR", "ORTIZ", "CASTILLO", "MORENO", "ROMERO", "ALVAREZ",
              "SALAZAR", "OCAMPO", "BAHENA", "ESTRADA", "URIBE", "NAVA", "VILLEGAS", "CAMPOS", "DOMINGUEZ")


def person(rng: np.random.Generator) -> str:
    return " ".join((_NOMBRES[rng.integers(len(_NOMBRES))], _APELLIDOS[rng.integers(len(_APELLIDOS))],
                     _APELLIDOS[rng.integers(len(_APELLIDOS))]))
