"""The integer layouts the compiled loop reads and writes, shared with whoever reads them.

The loop takes its settings as one int64 array and returns fills and trades as int64
tables; these names say which slot or column holds what. They live apart from the loop
so that reading a result does not load numba.
"""

from __future__ import annotations

from stocklab.krx.exits import UNSET

MAX_CASH = 1_000_000_000_000
"""1조 원 of starting cash at most: keeps every amount the loop multiplies inside int64."""

SIGNAL, TAKE_PROFIT, STOP_LOSS, MAX_HOLDING, STILL_OPEN = 1, 2, 3, 4, 5
"""Why a position was sold (0 on buys); STILL_OPEN marks a trade open at the end."""

# configuration slots
C_COMMISSION, C_PARTICIPATION, C_SIZING, C_SIZE = 0, 1, 2, 3
C_TP_TICKS, C_TP_UNITS, C_SL_UNITS, C_MAX_HOLD = 4, 5, 6, 7
N_CONFIG = 8
NONE = UNSET
"""An unset percentage level. Sizing rules are `krx.exits`' (`SIZING`)."""

# fill table columns
F_CODE, F_BAR, F_SIDE, F_QTY, F_PRICE, F_COMMISSION, F_TAX, F_REASON = range(8)
# trade table columns: a round trip from the first buy to the sale of the last share
T_CODE, T_ENTRY, T_EXIT, T_QTY, T_BOUGHT, T_SOLD, T_COMMISSION, T_TAX, T_REASON = range(9)
