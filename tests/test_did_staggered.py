"""Callaway & Sant'Anna (2021) staggered DiD against R ``did`` and two independent Python ports.

SOURCES
- tests/data/mpdta.csv: R did's ``mpdta`` (500 counties x 2003-2007), converted from the copy in the moderndid
  0.2.0 wheel (member moderndid/core/datasets/mpdta_long.pkl.gz) by the script in tests/data/mpdta.PROVENANCE.md;
  sha256 7d8620758d79fdc732a51e26700619f851394e4d1373cad9a3de3b52a2dbc5c7.
- R output printed to 4 decimals (tolerance 5e-5; pre-test p-values are printed rounded to 5 decimals, R's
  ``round(1 - pchisq(W, q), 5)``, so ours must round to the same digits), all on mpdta with
  ``yname="lemp", tname="year", idname="countyreal", gname="first.treat"``:
  * bcallaway11/did docs/articles/did-basics.md (vignette "Getting Started with the did Package"):
    ``mw.attgt <- att_gt(..., xformla=~1, data=mpdta)``; ``aggte(mw.attgt, type="dynamic")`` and
    ``aggte(mw.attgt, type="dynamic", balance_e=1)``.
  * bcallaway11/did docs/reference/aggte.md: ``out <- att_gt(..., xformla=NULL)``;
    ``aggte(out, type="simple" | "group" | "calendar")``.
  * bcallaway11/did docs/reference/att_gt.md: ``out2 <- att_gt(..., xformla=~lpop)`` and
    ``out3 <- att_gt(..., xformla=~lpop, control_group="notyettreated")``.
  R's printed standard errors are multiplier-bootstrap SEs (``bstrap=TRUE``), so they are not used as
  references for the analytic SEs.
- Independent Python ports run in a throwaway venv (/tmp/pkgs wheels) on tests/data/mpdta.csv with the bootstrap
  off, values printed to 12 significant digits (tolerance 1e-10):
  * csdid 0.4.3 (d2cml-ai; mirrors R did 2.5.0):
    ``ATTgt(yname="lemp", tname="year", idname="countyreal", gname="first.treat", data=mpdta,
    control_group=..., xformla="lemp~lpop" | None, panel=..., anticipation=..., clustervar=...)
    .fit(est_method=..., base_period=..., bstrap=False)`` then ``.aggte(typec=..., bstrap=False,
    cband=False, balance_e=..., min_e=..., max_e=...)``; repeated cross-sections with ``idname=None,
    panel=False``.
  * moderndid 0.2.0 (jordandeklerk): ``att_gt(data, yname="lemp", tname="year", idname="countyreal",
    gname="first.treat", xformla="~1" | "~lpop", est_method=..., control_group=..., base_period=...,
    anticipation=..., panel=..., boot=False)`` then ``aggte(res, type=..., boot=False)``.
  The two agree to 1e-15 on every case below except where noted: moderndid ignores ``clustervars`` in
  analytic SEs (csdid, like R did 2.5, clusters them); moderndid keeps the pre-2.5 pre-test cells t < g
  with anticipation (csdid and R did 2.5 test t < g - anticipation only; see bcallaway11/did
  tests/testthat/test-anticipation-window.R); and csdid's ``drdid_rc`` subtracts the base-period
  outcome-regression effect where R ``DRDID::drdid_rc`` adds it
  (``inf.treat.or <- inf.treat.or.post + inf.treat.or.pre``), so for ``rc_lpop_dr`` the reference is
  moderndid, which follows R (csdid's SEs differ by up to 8e-5 there).
"""

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analyses.did.design_warnings import DesignWarning
from analyses.did.staggered import aggregate, simulate_staggered, staggered
from analyses.did.staggered.design import prepare_design
from analyses.did.staggered.drdid import logit_fit, panel_did, rc_did
from analyses.did.staggered.group_time import _with_covariates, estimate_cells, plan_cells
from analyses.tidy import TIDY_COLUMNS
from data_schema.errors import ArgumentError, EstimationError

MPDTA = Path(__file__).parent / "data" / "mpdta.csv"
NAN = float("nan")
COLS = dict(outcome="lemp", unit="countyreal", time="year", first_treated="first.treat")
R_TOL = 5e-5  # R prints 4 decimals
PORT_TOL = 1e-10  # ports printed to 12 significant digits


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    data = pd.read_csv(MPDTA)
    data["state"] = data["countyreal"] // 1000
    return data


def fit(data, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DesignWarning)
        return staggered(data, **COLS, **kwargs)


# ---------------------------------------------------------------------------------------------------------
# the data


def test_mpdta_file(mpdta):
    assert hashlib.sha256(MPDTA.read_bytes()).hexdigest() == (
        "7d8620758d79fdc732a51e26700619f851394e4d1373cad9a3de3b52a2dbc5c7")
    # did docs/reference/mpdta.md: "A data frame with 2500 rows and 6 variables", 500 counties, 2003-2007
    assert mpdta.shape == (2500, 7)
    assert mpdta["countyreal"].nunique() == 500
    assert sorted(mpdta["year"].unique()) == [2003, 2004, 2005, 2006, 2007]
    assert sorted(mpdta["first.treat"].unique()) == [0, 2004, 2006, 2007]
    assert (mpdta["treat"] == (mpdta["first.treat"] > 0)).all()
    # head(mpdta) as printed in did-basics.md (6 significant digits)
    first = mpdta.iloc[0]
    assert (first["year"], first["countyreal"], first["first.treat"]) == (2003, 8001, 2007)
    assert first["lpop"] == pytest.approx(5.896761, abs=5e-7)
    assert first["lemp"] == pytest.approx(8.461469, abs=5e-7)
    assert mpdta.iloc[5][["lpop", "lemp"]].tolist() == pytest.approx([2.232377, 4.997212], abs=5e-7)


# ---------------------------------------------------------------------------------------------------------
# R did, printed output

# did-basics.md, summary(mw.attgt); identical in README.md (est_method="reg") and att_gt.md (out1)
R_ATT_NEVER = [-0.0105, -0.0704, -0.1373, -0.1008, 0.0065, -0.0028, -0.0046, -0.0412, 0.0305, -0.0027, -0.0311,
               -0.0261]
# att_gt.md, summary(out2): xformla=~lpop
R_ATT_LPOP = [-0.0145, -0.0764, -0.1404, -0.1069, -0.0005, -0.0062, 0.0010, -0.0413, 0.0267, -0.0046, -0.0284,
              -0.0288]
# att_gt.md, summary(out3): xformla=~lpop, control_group="notyettreated"
R_ATT_LPOP_NOTYET = [-0.0212, -0.0816, -0.1382, -0.1069, -0.0075, -0.0046, 0.0087, -0.0413, 0.0269, -0.0042,
                     -0.0284, -0.0288]


@pytest.mark.parametrize(("kwargs", "expected", "p_value"), [
    (dict(), R_ATT_NEVER, 0.16812),
    (dict(covariates=["lpop"]), R_ATT_LPOP, 0.23267),
    (dict(covariates="lpop", control_group="not_yet"), R_ATT_LPOP_NOTYET, 0.23326),
])
def test_att_gt_as_printed_by_r(mpdta, kwargs, expected, p_value):
    res = fit(mpdta, n_boot=0, **kwargs)
    table = res.att_gt
    assert table["group"].tolist() == [2004.0] * 4 + [2006.0] * 4 + [2007.0] * 4
    assert table["time"].tolist() == [2004.0, 2005.0, 2006.0, 2007.0] * 3
    assert table["estimate"].to_numpy() == pytest.approx(expected, abs=R_TOL)
    assert round(res.pretest_p_value, 5) == p_value
    assert res.pretest_df == 5


def test_aggregations_as_printed_by_r(mpdta):
    res = fit(mpdta, n_boot=0)
    # aggte.md: aggte(out, type="simple") prints "-0.04", i.e. -0.0400 to 4 decimals
    assert aggregate(res, "simple").estimate == pytest.approx(-0.04, abs=R_TOL)
    group = aggregate(res, "group")  # aggte.md and README.md
    assert group.estimate == pytest.approx(-0.031, abs=R_TOL)
    assert group.components["estimate"].to_numpy() == pytest.approx([-0.0797, -0.0229, -0.0261], abs=R_TOL)
    calendar = aggregate(res, "calendar")  # aggte.md
    assert calendar.estimate == pytest.approx(-0.0417, abs=R_TOL)
    assert calendar.components["time"].tolist() == [2004.0, 2005.0, 2006.0, 2007.0]
    assert calendar.components["estimate"].to_numpy() == pytest.approx([-0.0105, -0.0704, -0.0488, -0.0371],
                                                                       abs=R_TOL)
    dynamic = aggregate(res, "dynamic")  # did-basics.md summary(mw.dyn); aggte.md
    assert dynamic.estimate == pytest.approx(-0.0772, abs=R_TOL)
    assert dynamic.components["event"].tolist() == [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
    assert dynamic.components["estimate"].to_numpy() == pytest.approx(
        [0.0305, -0.0006, -0.0245, -0.0199, -0.0510, -0.1373, -0.1008], abs=R_TOL)
    balanced = aggregate(res, "dynamic", balance_e=1)  # did-basics.md summary(mw.dyn.balance)
    assert balanced.estimate == pytest.approx(-0.0288, abs=R_TOL)
    assert balanced.components["event"].tolist() == [-2.0, -1.0, 0.0, 1.0]
    assert balanced.components["estimate"].to_numpy() == pytest.approx([0.0065, -0.0028, -0.0066, -0.0510],
                                                                       abs=R_TOL)


# ---------------------------------------------------------------------------------------------------------
# independent Python ports, 12 significant digits
PORTS = {
    "never_nocov": dict(
        att=[-0.010503246221, -0.0704231581031, -0.137258738889, -0.100811363085, 0.00652011242423,
            -0.00275081875052, -0.00459460695286, -0.0412244715462, 0.0305066555833, -0.00272589288612,
            -0.0310871193897, -0.0260544107192],
        se=[0.0232510363682, 0.0309847667573, 0.0364356642877, 0.0343592258347, 0.0233268051418, 0.0195585610359,
            0.0177551966593, 0.0202291807041, 0.0150335602801, 0.0163958328955, 0.0178775113133, 0.0166554353493],
        W=7.7912366272,
        simple=(-0.0399512751552, 0.0120340127702),
        group=(
            -0.0310182822287, 0.012446059321,
            [-0.0797491265747, -0.0229095392495, -0.0260544107192],
            [0.026367799435, 0.0167033302552, 0.0166554353493]),
        dynamic=(
            -0.0772398214573, 0.0199649890618,
            [0.0305066555833, -0.000563084626385, -0.0244587449712, -0.0199318167893, -0.0509573670652,
            -0.137258738889, -0.100811363085],
            [0.0150335602801, 0.0132916447365, 0.0142364022105, 0.0118263640581, 0.0168934762687, 0.0364356642877,
            0.0343592258347]),
        calendar=(
            -0.0417004321313, 0.0159718518846,
            [-0.010503246221, -0.0704231581031, -0.048815984265, -0.037059339936],
            [0.0232510363682, 0.0309847667573, 0.0201258612605, 0.0137470791411])),
    "notyet_nocov": dict(
        att=[-0.0193723636759, -0.0783190990621, -0.136274346329, -0.100811363085, -0.00256255094261,
            -0.00193924609579, 0.00466087631998, -0.0412244715462, 0.029759364761, -0.0024106128001,
            -0.0310871193897, -0.0260544107192],
        se=[0.0223101128837, 0.0303902285434, 0.0354033849689, 0.0343592258347, 0.0225302351453, 0.0190421586058,
            0.0163355842468, 0.0202291807041, 0.0145335416387, 0.0160312963755, 0.0178775113133, 0.0166554353493],
        W=7.79092771883,
        simple=(-0.039763625623, 0.0120524247873),
        group=(
            -0.0304622281126, 0.0125751201317,
            [-0.083694293038, -0.0182817976131, -0.0260544107192],
            [0.025701599768, 0.0159222358245, 0.0166554353493]),
        dynamic=(
            -0.0773993139706, 0.0195601769464,
            [0.029759364761, -0.00244615388607, -0.0242689034145, -0.0189221990834, -0.0535893473848,
            -0.136274346329, -0.100811363085],
            [0.0145335416387, 0.0131203504343, 0.0144636816758, 0.0120445686893, 0.0169463855391, 0.0354033849689,
            0.0343592258347]),
        calendar=(
            -0.0442670834759, 0.0155709044211,
            [-0.0193723636759, -0.0783190990621, -0.0423175312296, -0.037059339936],
            [0.0223101128837, 0.0303902285434, 0.0190562576432, 0.0137470791411])),
    "never_lpop_dr": dict(
        att=[-0.0145296683049, -0.0764218817348, -0.14044833681, -0.106903898111, -0.000472146088485,
            -0.0062025245798, 0.000960573746698, -0.0412938655882, 0.0267277962037, -0.00457657076353,
            -0.0284474871976, -0.0287813610395],
        se=[0.0221291572383, 0.0286713141556, 0.0353781547101, 0.0328864930029, 0.0222234370367, 0.0184957019042,
            0.019400195422, 0.0197211441454, 0.0140656607644, 0.0157177631303, 0.0181808811527, 0.0162389529662],
        W=6.84182498166,
        simple=(-0.0417517720586, 0.0115028381515),
        group=(
            -0.0328195971613, 0.0118981787276,
            [-0.0845759462403, -0.0201666459207, -0.0287813610395],
            [0.0245648746071, 0.0174696249759, 0.0162389529662]),
        dynamic=(
            -0.080353949744, 0.0189575572448,
            [0.0267277962037, -0.00361647142434, -0.02324398717, -0.0210603597508, -0.0530032043037, -0.14044833681,
            -0.106903898111],
            [0.0140656607644, 0.012928331113, 0.0144851302317, 0.0114942116625, 0.0163464516167, 0.0353781547101,
            0.0328864930029]),
        calendar=(
            -0.0441773577566, 0.0150381750964,
            [-0.0145296683049, -0.0764218817348, -0.0461757297722, -0.0395821512143],
            [0.0221291572383, 0.0286713141556, 0.0212107191797, 0.0129298720364])),
    "never_lpop_ipw": dict(
        att=[-0.0145484311541, -0.0764498607587, -0.140464602655, -0.106932557106, -0.000868560290943,
            -0.00639724034339, 0.00120804523973, -0.0413082317387, 0.0265561036236, -0.00466090490603,
            -0.0283403038048, -0.0288947666146],
        se=[0.0221145331114, 0.0286488625374, 0.0353710017857, 0.0328891517089, 0.0221528434181, 0.018457328458,
            0.0194879291034, 0.0197213981875, 0.0140441585047, 0.0156691642489, 0.0181893090953, 0.0162464093872],
        W=6.79877741042,
        simple=(-0.0417770821991, 0.011499719364),
        group=(-0.0328753686642, 0.0118932001677),
        dynamic=(-0.0803768866458, 0.0189542503819),
        calendar=(-0.0441701010498, 0.0150352235845)),
    "never_lpop_reg": dict(
        att=[-0.0149112377904, -0.0769963229661, -0.141080104629, -0.107544274673, -0.00206605811844,
            -0.00696828306727, 0.000765525026396, -0.0415356365293, 0.026365831747, -0.00475983533867,
            -0.0285021064139, -0.0287894881938],
        se=[0.0220556930763, 0.0283597455101, 0.0348362869536, 0.0327376926434, 0.0221222864836, 0.0183457856294,
            0.0191959070329, 0.0197168736454, 0.0140189493227, 0.0156699660373, 0.0181320658925, 0.0161678672537],
        W=6.86127495371,
        simple=(-0.0419686124215, 0.0114448297682),
        group=(-0.032929240229, 0.0118603087663),
        dynamic=(-0.0807817453338, 0.0187458547115),
        calendar=(-0.0445323313532, 0.014885027813)),
    "notyet_lpop_dr": dict(
        att=[-0.0211830534788, -0.0816031858557, -0.138191822608, -0.106903898111, -0.00745523611195,
            -0.00456337699331, 0.00866069986771, -0.0412938655882, 0.0269326529007, -0.00420098046998,
            -0.0284474871976, -0.0287813610395],
        se=[0.0216482077147, 0.0283415410858, 0.0342280372213, 0.0328864930029, 0.0218357154058, 0.0182913860637,
            0.0168390609564, 0.0197211441454, 0.0139136259707, 0.0155483663206, 0.0181808811527, 0.0162389529662],
        W=6.83428493952,
        simple=(-0.0413516292992, 0.0114278390822),
        group=(-0.0322640388003, 0.0119834126143),
        dynamic=(-0.0799926209593, 0.0184940020787),
        calendar=(-0.0456646328766, 0.0146982567565)),
    "rc_nocov": dict(
        att=[-0.010503246221, -0.0704231581031, -0.137258738889, -0.100811363085, 0.00652011242423,
            -0.00275081875052, -0.00459460695286, -0.0412244715462, 0.0305066555833, -0.00272589288612,
            -0.0310871193897, -0.0260544107192],
        se=[0.475829450302, 0.482269906979, 0.485621314713, 0.47895451383, 0.30410516345, 0.306865431334,
            0.311269143692, 0.312469760365, 0.221894496895, 0.223304583335, 0.223643361692, 0.223221502794],
        W=0.0387610693243,
        simple=(-0.0399512751552, 0.162099949578),
        group=(-0.0310182822287, 0.16788440745),
        dynamic=(-0.0772398214573, 0.252113689698),
        calendar=(-0.0417004321313, 0.247653400428)),
    "rc_lpop_dr": dict(
        att=[-0.0145296683049, -0.0764218817348, -0.14044833681, -0.106903898111, -0.000472146088485,
            -0.0062025245798, 0.000960573746698, -0.0412938655882, 0.0267277962037, -0.00457657076353,
            -0.0284474871976, -0.0287813610395],
        se=[0.0897357691565, 0.0924330883274, 0.0954476311786, 0.0890462695372, 0.0996127778776, 0.094234537249,
            0.0935518611038, 0.0927697340681, 0.076361936401, 0.0764327436262, 0.0770510897461, 0.0790590993699],
        W=0.282145628,
        simple=(-0.0417517720586, 0.0460317504876),
        group=(-0.0328195971613, 0.0571275667051),
        dynamic=(-0.080353949744, 0.0513919966908),
        calendar=(-0.0441773577566, 0.0490338729923)),
    "rc_lpop_ipw": dict(
        att=[-0.0145484311541, -0.0764498607587, -0.140464602655, -0.106932557106, -0.000868560290941,
            -0.00639724034339, 0.00120804523973, -0.0413082317387, 0.0265561036236, -0.00466090490603,
            -0.0283403038048, -0.0288947666146],
        se=[0.479848002999, 0.486193889259, 0.489562404835, 0.482948665819, 0.324148457346, 0.326474914023,
            0.330733652356, 0.331846910808, 0.230086075261, 0.231277093375, 0.231675940823, 0.23131758873],
        W=0.0321351111364,
        simple=(-0.0417770821991, 0.167226232165),
        group=(-0.0328753686642, 0.174172808336),
        dynamic=(-0.0803768866458, 0.256598602319),
        calendar=(-0.0441701010498, 0.250623700732)),
    "rc_lpop_reg": dict(
        att=[-0.0149112377904, -0.0769963229661, -0.141080104629, -0.107544274673, -0.00206605811844,
            -0.00696828306727, 0.000765525026397, -0.0415356365293, 0.026365831747, -0.00475983533867,
            -0.0285021064139, -0.0287894881938],
        se=[0.46239871257, 0.468897401783, 0.472533255272, 0.465534942873, 0.28239376103, 0.284780751518,
            0.289871097897, 0.290811582607, 0.191473818669, 0.192320832738, 0.192984383562, 0.192548758343],
        W=0.0437350550837,
        simple=(-0.0419686124215, 0.14976215461),
        group=(-0.032929240229, 0.147153609686),
        dynamic=(-0.0807817453338, 0.243286707401),
        calendar=(-0.0445323313532, 0.242022168365)),
    "ant1_nocov": dict(
        att=[0.00652011242423, -0.00275081875052, -0.00734542570338, -0.0439752902967, 0.0305066555833,
            -0.00272589288612, -0.0310871193897, -0.0571415301089],
        se=[0.0233268051418, 0.0195585610359, 0.0229428622676, 0.026578767017, 0.0150335602801, 0.0163958328955,
            0.0178775113133, 0.0202101632187],
        W=4.28989893249,
        simple=(-0.0452055406837, 0.0166831312721),
        group=(-0.0497775132413, 0.0173850609894),
        dynamic=(-0.0447343044244, 0.0186117076041),
        calendar=(-0.030703566817, 0.0170206513431)),
    "universal_nocov": dict(
        att=[0.0, -0.010503246221, -0.0704231581031, -0.137258738889, -0.100811363085, -0.00376929367371,
            0.00275081875052, 0.0, -0.00459460695286, -0.0412244715462, 0.00330635669251, 0.0338130122758,
            0.0310871193897, 0.0, -0.0260544107192],
        se=[NAN, 0.0232510363682, 0.0309847667573, 0.0364356642877, 0.0343592258347, 0.0313420276018,
            0.0195585610359, NAN, 0.0177551966593, 0.0202291807041, 0.0244518729439, 0.0211291749243,
            0.0178775113133, NAN, 0.0166554353493],
        W=7.7912366272,
        simple=(-0.0399512751552, 0.0120340127702),
        group=(-0.0310182822287, 0.012446059321),
        dynamic=(
            -0.0772398214573, 0.0199649890618,
            [0.00330635669251, 0.0250218295976, 0.0244587449712, 0.0, -0.0199318167893, -0.0509573670652,
            -0.137258738889, -0.100811363085],
            [0.0244518729439, 0.0181189206974, 0.0142364022105, NAN, 0.0118263640581, 0.0168934762687,
            0.0364356642877, 0.0343592258347]),
        calendar=(-0.0417004321313, 0.0159718518846)),
    "universal_notyet_lpop_dr": dict(
        att=[0.0, -0.0211830534788, -0.0816031858557, -0.138191822608, -0.106903898111, 0.0120186131053,
            0.00456337699331, 0.0, 0.00866069986771, -0.0412938655882, 0.00629626175738, 0.0330240579611,
            0.0284474871976, 0.0, -0.0287813610395],
        se=[NAN, 0.0216482077147, 0.0283415410858, 0.0342280372213, 0.0328864930029, 0.0300261189021,
            0.0182913860637, NAN, 0.0168390609564, 0.0197211441454, 0.024536687057, 0.021235269263, 0.0181808811527,
            NAN, 0.0162389529662],
        W=6.86554210123,
        simple=(-0.0413516292992, 0.0114278390822),
        group=(-0.0322640388003, 0.0119834126143),
        dynamic=(-0.0799926209593, 0.0184940020787),
        calendar=(-0.0456646328766, 0.0146982567565)),
    "cluster_state": dict(
        att=[-0.010503246221, -0.0704231581031, -0.137258738889, -0.100811363085, 0.00652011242423,
            -0.00275081875052, -0.00459460695286, -0.0412244715462, 0.0305066555833, -0.00272589288612,
            -0.0310871193897, -0.0260544107192],
        se=[0.0121342668947, 0.0145095695303, 0.0232019144105, 0.0207978874865, 0.0358483168279, 0.0208364837504,
            0.0202838930272, 0.027183723608, 0.0165491903383, 0.0159728414782, 0.0266230339587, 0.0143442032202],
        W=6.55651600474,
        simple=(-0.0399512751552, 0.0151594585785),
        group=(
            -0.0310182822287, 0.0118435292618,
            [-0.0797491265747, -0.0229095392495, -0.0260544107192],
            [0.0156743916645, 0.0229050541533, 0.0143442032202]),
        dynamic=(
            -0.0772398214573, 0.0147766860806,
            [0.0305066555833, -0.000563084626385, -0.0244587449712, -0.0199318167893, -0.0509573670652,
            -0.137258738889, -0.100811363085],
            [0.0165491903383, 0.014745844434, 0.0220282201781, 0.0102851873908, 0.0202991336137, 0.0232019144105,
            0.0207978874865]),
        calendar=(
            -0.0417004321313, 0.01399904229,
            [-0.010503246221, -0.0704231581031, -0.048815984265, -0.037059339936],
            [0.0121342668947, 0.0145095695303, 0.0391543796917, 0.0137594882153])),
    "balance1": dict(
        dynamic=(
            -0.0287607602204, 0.0136855825577,
            [0.00652011242423, -0.00275081875052, -0.00656415337556, -0.0509573670652],
            [0.0233268051418, 0.0195585610359, 0.0142553591486, 0.0168934762687])),
    "minmax": dict(
        simple=(-0.0273482829907, 0.0109290579858),
        group=(
            -0.0269045728662, 0.0122433702878,
            [-0.0404632021621, -0.0229095392495, -0.0260544107192],
            [0.0238853300255, 0.0167033302552, 0.0166554353493]),
        dynamic=(
            -0.0354445919272, 0.0117080706302,
            [-0.0244587449712, -0.0199318167893, -0.0509573670652],
            [0.0142364022105, 0.0118263640581, 0.0168934762687])),
}

# csdid 0.4.3 (R did 2.5 rules) and moderndid 0.2.0 on variants of mpdta (same calls as above):
# treated_only_notyet: counties with first.treat > 0 only, control_group="notyettreated" (R drops 2007 and
#   later and uses the 2007 cohort as comparison only; moderndid keeps two extra cells, csdid follows R);
# weighted_lpop: weightsname "w" = lpop clipped below at 0.5, xformla ~lpop (moderndid's aggregations
#   weight groups by unweighted shares; csdid, like R's aggte, by weighted shares);
# holes: rows 3, 10, 11 and 2499 dropped (the three counties are dropped to balance the panel; both ports);
# weighted_rc: as weighted_lpop with panel=False (moderndid: R's drdid_rc influence function, see above).
PORTS_EXTRA = {
    "treated_only_notyet": dict(
        att=[-0.0353990145156, -0.0925872029001, -0.133952382197, -0.0239865431591, -2.49258644027e-05,
            0.0264925124368],
        se=[0.0233767705435, 0.0325760704195, 0.038708457863, 0.0240558316172, 0.0224579722099, 0.0193805129667],
        simple=(-0.0417907149478, 0.0204543150729), group=(-0.011442613888, 0.0179780481449)),
    "weighted_lpop": dict(
        att=[-0.0132341476005, -0.0639076958157, -0.116110990175, -0.100798945357, -0.00121593602077,
            0.000634715378223, 0.0111240230252, -0.0312354588255, 0.0202353192786, -0.00244896078856,
            -0.0268088643309, -0.0378128805571],
        se=[0.0166743730321, 0.0251400356055, 0.032272079656, 0.0259016818745, 0.0217547420918, 0.0178202710686,
            0.0210244869248, 0.0185677650074, 0.0102182367128, 0.0110583582336, 0.0171265818361, 0.0123613090188],
        simple=(-0.0393552879958, 0.00952922375443), group=(-0.035310171037, 0.00887960764999)),
    "holes": dict(
        att=[-0.010503246221, -0.0704231581031, -0.137258738889, -0.100811363085, 0.00589118063235,
            -0.00296840749028, -0.00370341691717, -0.0413701211211, 0.030157757538, -0.00623896441678,
            -0.0249263723414, -0.0350982075873],
        se=[0.0232510363682, 0.0309847667573, 0.0364356642877, 0.0343592258347, 0.023812270078, 0.01996346651,
            0.018002044032, 0.0205763556231, 0.015113837999, 0.0161900341126, 0.0168466200234, 0.0146722741951],
        simple=(-0.0441305466489, 0.0115254800408), group=(-0.0372424750107, 0.0112238466664)),
    "weighted_rc": dict(
        att=[-0.0132341476005, -0.0639076958157, -0.116110990175, -0.100798945357, -0.00121593602077,
            0.000634715378223, 0.0111240230252, -0.0312354588255, 0.0202353192786, -0.00244896078856,
            -0.0268088643309, -0.0378128805571],
        se=[0.0842066429147, 0.0882664196454, 0.0906862184909, 0.0863989505813, 0.0929278524434, 0.0875679024936,
            0.0879575161897, 0.0854925977598, 0.0672113615987, 0.0673430170036, 0.0690918543529, 0.0710185118746]),
}

PORT_FITS = {
    "never_nocov": dict(), "notyet_nocov": dict(control_group="not_yet"),
    "never_lpop_dr": dict(covariates=["lpop"]), "never_lpop_ipw": dict(covariates=["lpop"], est_method="ipw"),
    "never_lpop_reg": dict(covariates=["lpop"], est_method="reg"),
    "notyet_lpop_dr": dict(covariates=["lpop"], control_group="not_yet"),
    "rc_nocov": dict(panel=False), "rc_lpop_dr": dict(panel=False, covariates=["lpop"]),
    "rc_lpop_ipw": dict(panel=False, covariates=["lpop"], est_method="ipw"),
    "rc_lpop_reg": dict(panel=False, covariates=["lpop"], est_method="reg"),
    "ant1_nocov": dict(anticipation=1), "universal_nocov": dict(base_period="universal"),
    "universal_notyet_lpop_dr": dict(base_period="universal", control_group="not_yet", covariates=["lpop"]),
    "cluster_state": dict(cluster="state"), "balance1": dict(), "minmax": dict(),
}
PORT_AGGREGATE = {"balance1": dict(balance_e=1), "minmax": dict(min_e=-1, max_e=1)}


@pytest.fixture(scope="module")
def port_fits(mpdta):
    return {name: fit(mpdta, n_boot=0, **kwargs) for name, kwargs in PORT_FITS.items()}


def _close(actual, expected, tol=PORT_TOL):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual[~np.isnan(actual)], expected[~np.isnan(expected)], rtol=0, atol=tol)


@pytest.mark.parametrize("name", [k for k in PORTS if "att" in PORTS[k]])
def test_att_gt_and_analytic_se_match_ports(port_fits, name):
    res, ref = port_fits[name], PORTS[name]
    _close(res.att_gt["estimate"], ref["att"])
    _close(res.att_gt["std_error"], ref["se"])
    # the Wald statistic is printed to 12 significant digits of a number near 1-10
    assert res.pretest_statistic == pytest.approx(ref["W"], abs=1e-9)


@pytest.mark.parametrize(("name", "kind"), [(k, a) for k in PORTS for a in ("simple", "group", "dynamic", "calendar")
                                            if a in PORTS[k]])
def test_aggregations_match_ports(port_fits, name, kind):
    agg = aggregate(port_fits[name], kind, **(PORT_AGGREGATE.get(name, {}) if kind != "calendar" else {}))
    ref = PORTS[name][kind]
    assert agg.estimate == pytest.approx(ref[0], abs=PORT_TOL)
    assert agg.std_error == pytest.approx(ref[1], abs=PORT_TOL)
    if len(ref) > 2:
        _close(agg.components["estimate"], ref[2])
        _close(agg.components["std_error"], ref[3])


def test_variants_match_ports(mpdta):
    weighted = mpdta.assign(w=mpdta["lpop"].clip(lower=0.5))
    fits = {"treated_only_notyet": fit(mpdta[mpdta["first.treat"] > 0], control_group="not_yet", n_boot=0),
            "weighted_lpop": fit(weighted, weights="w", covariates=["lpop"], n_boot=0),
            "holes": fit(mpdta.drop(index=[3, 10, 11, 2499]), n_boot=0),
            "weighted_rc": fit(weighted, weights="w", covariates=["lpop"], panel=False, n_boot=0)}
    for name, res in fits.items():
        ref = PORTS_EXTRA[name]
        _close(res.att_gt["estimate"], ref["att"])
        _close(res.att_gt["std_error"], ref["se"])
        for kind in ("simple", "group"):
            if kind in ref:
                agg = aggregate(res, kind)
                assert (agg.estimate, agg.std_error) == pytest.approx(ref[kind], abs=PORT_TOL)


def test_methods_coincide_without_covariates(mpdta):
    dr, ipw, reg = (fit(mpdta, n_boot=0, est_method=m).att_gt for m in ("dr", "ipw", "reg"))
    for other in (ipw, reg):
        np.testing.assert_allclose(other["estimate"], dr["estimate"], rtol=0, atol=1e-14)
        np.testing.assert_allclose(other["std_error"], dr["std_error"], rtol=0, atol=1e-14)


def test_anticipation_drops_cohort_without_pre_period(mpdta):
    # with anticipation 1 the 2004 cohort would need 2002 as base period: R did drops its 20 counties
    with pytest.warns(DesignWarning, match="dropped 20 units already treated in the first period 2003"):
        res = staggered(mpdta, **COLS, anticipation=1, n_boot=0)
    assert res.cohorts == (2006.0, 2007.0)
    # anticipation cells (t = g - 1) compare with g - 2 and stay out of the pre-test (R did 2.5)
    cell = res.att_gt.query("group == 2007 and time == 2006").iloc[0]
    assert cell["base_period"] == 2005.0
    assert res.pretest_df == 3


def test_universal_base_period(mpdta):
    varying, universal = fit(mpdta, n_boot=99), fit(mpdta, n_boot=99, base_period="universal")
    base = universal.att_gt.query("time == group - 1")
    assert base["estimate"].eq(0).all() and base["std_error"].isna().all() and base["band_low"].isna().all()
    post_v, post_u = varying.att_gt.query("post"), universal.att_gt.query("post")
    np.testing.assert_allclose(post_u["estimate"], post_v["estimate"], rtol=0, atol=1e-15)
    np.testing.assert_allclose(post_u["std_error"], post_v["std_error"], rtol=0, atol=1e-15)
    assert universal.att_gt.query("group == 2007")["base_period"].eq(2006.0).all()


def test_cluster_by_state_warns_and_matches_csdid(mpdta):
    with pytest.warns(DesignWarning, match=r"only 29 clusters \('state'\).*MacKinnon, Nielsen & Webb 2023"):
        res = staggered(mpdta, **COLS, cluster="state", n_boot=999)
    assert res.n_clusters == 29
    _close(res.att_gt["std_error"], PORTS["cluster_state"]["se"])
    ratio = res.att_gt["boot_std_error"] / res.att_gt["std_error"]
    assert ratio.between(0.75, 1.25).all()  # 29 clusters: Mammen two-point draws are coarse


# ---------------------------------------------------------------------------------------------------------
# building blocks


def test_logit_matches_glm(mpdta):
    """The Newton-Raphson logit equals statsmodels' GLM (R glm's IRLS) to 1e-8, weights included."""
    first = mpdta[mpdta["year"] == 2003]
    X = np.column_stack([np.ones(len(first)), first["lpop"], first["lpop"] ** 2])
    d = (first["first.treat"] == 2006).to_numpy(dtype=float)
    w = np.linspace(0.5, 1.5, len(first))
    gamma, converged = logit_fit(X, d, w)
    glm = sm.GLM(d, X, family=sm.families.Binomial(), var_weights=w).fit(tol=1e-14)
    assert converged
    np.testing.assert_allclose(gamma, glm.params, rtol=0, atol=1e-8)


def test_vectorised_cells_equal_the_2x2_estimators(mpdta):
    """The one-pass unconditional path gives DRDID's estimates and influence functions cell by cell."""
    for panel in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DesignWarning)
            design = prepare_design(mpdta, **COLS, control_group="not_yet", panel=panel)
        plan = plan_cells(design.periods, design.cohorts, design.cohort_values, "not_yet", 0, "varying")
        fast = estimate_cells(design, plan, "dr")
        for method in ("dr", "ipw", "reg"):
            slow = _with_covariates(design, plan, method)
            np.testing.assert_allclose(slow.att, fast.att, rtol=0, atol=1e-13)
            np.testing.assert_allclose(slow.influence, fast.influence, rtol=0, atol=1e-10)


def test_two_by_two_reduces_to_unconditional_did():
    rng = np.random.default_rng(3)
    y, post, d = rng.normal(size=200), (rng.random(200) < 0.5) * 1.0, (rng.random(200) < 0.4) * 1.0
    did = (y[(d == 1) & (post == 1)].mean() - y[(d == 1) & (post == 0)].mean()
           - y[(d == 0) & (post == 1)].mean() + y[(d == 0) & (post == 0)].mean())
    ones = np.ones((200, 1))
    for method in ("dr", "ipw", "reg"):
        assert rc_did(y, post, d, ones, np.ones(200), method).att == pytest.approx(did, abs=1e-12)
        assert panel_did(y, d, ones, np.ones(200), method).att == pytest.approx(
            y[d == 1].mean() - y[d == 0].mean(), abs=1e-12)


def test_time_varying_covariate_taken_from_base_period(mpdta):
    changed = mpdta.copy()
    changed.loc[changed["year"] == 2007, "lpop"] += np.linspace(0, 3, 500)
    a, b = fit(mpdta, covariates=["lpop"], n_boot=0), fit(changed, covariates=["lpop"], n_boot=0)
    np.testing.assert_allclose(b.att_gt["estimate"], a.att_gt["estimate"], rtol=0, atol=1e-12)


def test_zero_weights_equal_dropping_units(mpdta):
    rng = np.random.default_rng(0)
    dropped = rng.choice(mpdta["countyreal"].unique(), 60, replace=False)
    weighted = mpdta.assign(w=np.where(mpdta["countyreal"].isin(dropped), 0.0, 1.0))
    a = fit(weighted, weights="w", covariates=["lpop"], n_boot=0)
    b = fit(mpdta[~mpdta["countyreal"].isin(dropped)], covariates=["lpop"], n_boot=0)
    np.testing.assert_allclose(a.att_gt["estimate"], b.att_gt["estimate"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.att_gt["std_error"], b.att_gt["std_error"], rtol=0, atol=1e-12)
    assert aggregate(a, "group").std_error == pytest.approx(aggregate(b, "group").std_error, abs=1e-12)


# ---------------------------------------------------------------------------------------------------------
# multiplier bootstrap


def test_bootstrap_se_agrees_with_analytic_se(mpdta):
    """Mammen multipliers have mean 0, variance 1: given the data, E[(sum_i IF_i v_i)^2] = sum_i IF_i^2, so the
    bootstrap SE differs from the analytic SE only by Monte-Carlo error.  The IQR-based SE from B = 999 normal
    draws has relative sd ~ 1.166 / sqrt(B) = 0.037; 5 sd = 0.18 bounds each cell, and the mean ratio over the
    12 (correlated) cells must be within 0.06 of 1."""
    res = fit(mpdta, n_boot=999, seed=7)
    ratio = (res.att_gt["boot_std_error"] / res.att_gt["std_error"]).to_numpy()
    assert np.all(np.abs(ratio - 1) < 0.18)
    assert abs(ratio.mean() - 1) < 0.06
    assert res.critical_value >= 1.959963984540054
    dyn = aggregate(res, "dynamic")
    assert dyn.critical_value >= 1.959963984540054
    assert np.all(np.abs(dyn.components["boot_std_error"] / dyn.components["std_error"] - 1) < 0.18)
    band = res.att_gt["band_high"] - res.att_gt["band_low"]
    pointwise = res.att_gt["ci_high"] - res.att_gt["ci_low"]
    assert (band > pointwise * 0.82).all()


def test_bootstrap_is_seeded(mpdta):
    a, b, c = fit(mpdta, seed=3), fit(mpdta, seed=3), fit(mpdta, seed=4)
    pd.testing.assert_frame_equal(a.att_gt, b.att_gt)
    assert a.critical_value == b.critical_value != c.critical_value
    assert aggregate(a, "group").critical_value == aggregate(b, "group").critical_value
    assert fit(mpdta, n_boot=0).att_gt["band_low"].isna().all()


# ---------------------------------------------------------------------------------------------------------
# data handling, errors and warnings


def test_never_treated_as_missing_or_zero(mpdta):
    missing = mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(0, np.nan)})
    a, b = fit(mpdta, n_boot=0), fit(missing, n_boot=0)
    pd.testing.assert_frame_equal(a.att_gt, b.att_gt)
    late = mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(0, 2030)})  # after the last period
    pd.testing.assert_frame_equal(fit(late, n_boot=0).att_gt, a.att_gt)


def test_no_never_treated_units(mpdta):
    treated = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(EstimationError, match="no never-treated units.*use control_group='not_yet'"):
        staggered(treated, **COLS)
    with pytest.warns(DesignWarning, match=r"last cohort \(first treated 2007\) serves only as comparison"):
        res = staggered(treated, **COLS, control_group="not_yet", n_boot=0)
    assert res.cohorts == (2004.0, 2006.0) and res.periods == (2003.0, 2004.0, 2005.0, 2006.0)


def test_units_treated_in_first_period_are_dropped(mpdta):
    early = mpdta.assign(**{"first.treat": mpdta["first.treat"].where(mpdta["countyreal"] > 9000, 2003)})
    n_early = early.loc[early["first.treat"] == 2003, "countyreal"].nunique()
    with pytest.warns(DesignWarning, match=f"dropped {n_early} units already treated in the first period 2003"):
        res = staggered(early, **COLS, n_boot=0)
    assert res.n_units == 500 - n_early


def test_warnings_point_at_the_caller(mpdta):
    data = mpdta[~((mpdta["first.treat"] == 2004) & (mpdta["year"] == 2005))]
    with pytest.warns(DesignWarning) as record:
        staggered(data.drop(index=[0]), **COLS, panel=False, cluster="state", n_boot=0)
    assert len(record) == 2  # few clusters, one cell without treated units
    assert all(w.filename == __file__ for w in record)


def test_unbalanced_panel_is_balanced_with_warning(mpdta):
    holes = mpdta.drop(index=[3, 10, 11, 2499])  # three counties lose a year
    with pytest.warns(DesignWarning, match="dropped 3 units missing some of the 5 periods"):
        res = staggered(holes, **COLS, n_boot=0)
    assert res.panel and res.n_units == 497


def test_repeated_cross_sections_detected(mpdta):
    # minimum wages are set by states: with the state as "unit" each unit has many rows a year
    res = staggered(mpdta, outcome="lemp", unit="state", time="year", first_treated="first.treat", n_boot=0)
    assert not res.panel and res.n_units == 2500
    _close(res.att_gt["estimate"], PORTS["rc_nocov"]["att"])
    _close(res.att_gt["std_error"], PORTS["rc_nocov"]["se"])
    with pytest.raises(EstimationError, match="panel=True but some unit .* more than one row in a period"):
        staggered(mpdta, outcome="lemp", unit="state", time="year", first_treated="first.treat", panel=True)


def test_first_treated_varying_within_unit(mpdta):
    bad = mpdta.copy()
    bad.loc[0, "first.treat"] = 2006
    with pytest.raises(EstimationError, match=r"varies within unit 8001 \(values 2006, 2007; 0 = never\)"):
        staggered(bad, **COLS)


def test_simple_att_matches_r_did_to_full_precision(mpdta):
    # R did (R side of brycewang-stanford/StatsPAI : tests/orig_parity/02_mpdta_original.R @ 2e316287f1d8),
    # att_gt(yname="lemp", tname="year", idname="countyreal", gname="first.treat", data=mpdta,
    #        control_group="nevertreated", est_method="reg", bstrap=FALSE)
    # aggte(fit, type="simple", bstrap=FALSE, cband=FALSE), written by jsonlite with digits=NA (15 significant
    # digits) to tests/orig_parity/results/02_mpdta_original_R.json @ 2e316287f1d8:
    # overall.att -0.0399512751551772, overall.se 0.0120340127701854 (analytic influence-function SE).
    res = staggered(mpdta, **COLS, est_method="reg", n_boot=0)
    simple = res.aggregate("simple", n_boot=0)
    assert simple.estimate == pytest.approx(-0.0399512751551772, abs=1e-15)
    assert simple.std_error == pytest.approx(0.0120340127701854, abs=1e-15)


def test_a_unit_whose_rows_are_all_dropped_is_not_mistaken_for_varying_treatment(mpdta):
    # regression: a unit left with no rows (every outcome missing) made the within-unit check fail
    gone = mpdta.copy()
    gone.loc[gone["countyreal"] == 8001, "lemp"] = np.nan
    with pytest.warns(DesignWarning, match="dropped 5 rows"):
        res = staggered(gone, **COLS)
    assert res.att_gt["estimate"].notna().all()


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    (dict(control_group="notyettreated"), ArgumentError, "control_group='notyettreated' is not a valid choice"),
    (dict(base_period="fixed"), ArgumentError, "base_period='fixed' is not a valid choice"),
    (dict(est_method="aipw"), ArgumentError, "est_method='aipw' is not a valid choice"),
    (dict(anticipation=-1), ArgumentError, "anticipation=-1 must be a non-negative whole number"),
    (dict(level=95), ArgumentError, "level=95 must be between 0 and 1"),
    (dict(n_boot=-5), ArgumentError, "n_boot=-5 must be a non-negative integer"),
    (dict(covariates=["nope"]), KeyError, "data has no column 'nope'"),
])
def test_bad_arguments(mpdta, kwargs, error, match):
    with pytest.raises(error, match=match):
        staggered(mpdta, **COLS, **kwargs)


def test_non_numeric_covariate(mpdta):
    with pytest.raises(ArgumentError, match="covariate column 'label' must be numeric"):
        staggered(mpdta.assign(label="a"), **COLS, covariates=["label"])


def test_small_cohort_warns_and_small_never_group_raises(mpdta):
    keep = mpdta.loc[mpdta["first.treat"] == 2004, "countyreal"].unique()[:3]
    few = mpdta[(mpdta["first.treat"] != 2004) | mpdta["countyreal"].isin(keep)]
    with pytest.warns(DesignWarning, match="some cohorts have very few units: first treated 2004"):
        staggered(few, **COLS, n_boot=0)
    never = mpdta.loc[mpdta["first.treat"] == 0, "countyreal"].unique()[:4]
    tiny_never = mpdta[(mpdta["first.treat"] != 0) | mpdta["countyreal"].isin(never)]
    with pytest.raises(EstimationError, match="never-treated group is too small"):
        fit(tiny_never)


def test_cells_that_cannot_be_estimated(mpdta):
    # cross-sections without any 2004-cohort rows in 2005: ATT(2004,2005) has no treated units in 2005
    data = mpdta[~((mpdta["first.treat"] == 2004) & (mpdta["year"] == 2005))]
    with pytest.warns(DesignWarning, match=r"ATT\(2004,2005\): no treated units"):
        res = staggered(data, **COLS, panel=False, n_boot=99)
    assert res.att_gt["estimate"].isna().tolist() == [False, True] + [False] * 10
    assert res.att_gt["problem"].iloc[1].startswith("no treated units")
    with pytest.raises(EstimationError, match=r"could not be estimated for ATT\(2004,2005\).*na_rm=True"):
        aggregate(res, "simple")
    assert np.isfinite(aggregate(res, "group", na_rm=True).estimate)


def test_aggregate_arguments(mpdta):
    res = fit(mpdta, n_boot=0)
    with pytest.raises(ArgumentError, match="kind='event' is not a valid choice"):
        aggregate(res, "event")
    with pytest.raises(ArgumentError, match="balance_e=1 applies to kind='dynamic' only"):
        aggregate(res, "group", balance_e=1)
    with pytest.raises(EstimationError, match="no event time >= 0"):
        aggregate(res, "dynamic", max_e=-1)


# ---------------------------------------------------------------------------------------------------------
# results


def test_tidy_summary_to_dict(mpdta):
    res = fit(mpdta, n_boot=199, covariates=["lpop"])
    tidy = res.tidy()
    assert list(tidy.columns[:len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    assert tidy["term"].iloc[1] == "ATT(2004,2005)"
    assert {"group", "time", "event", "band_low", "band_high", "n_treated"} <= set(tidy.columns)
    assert tidy["n_obs"].iloc[0] == 329 and tidy["n_clusters"].iloc[0] == 500
    row = tidy.iloc[1]
    assert row["statistic"] == pytest.approx(row["estimate"] / row["std_error"])
    text = res.summary()
    assert "Pre-test of parallel trends: chi2(5)" in text and "doubly robust" in text and "lpop" in text
    blob = json.dumps(res.to_dict())
    assert blob == json.dumps(fit(mpdta, n_boot=199, covariates=["lpop"]).to_dict())
    assert "influence" not in res.to_dict()
    agg = res.aggregate("dynamic")
    assert agg.tidy()["term"].tolist()[:3] == ["ATT(dynamic)", "ATT(e=-3)", "ATT(e=-2)"]
    assert "uniform band critical value" in agg.summary()
    json.dumps(agg.to_dict())
    simple = res.aggregate("simple")
    assert simple.tidy()["term"].tolist() == ["ATT(simple)"] and len(simple.components) == 0


# ---------------------------------------------------------------------------------------------------------
# simulation: known heterogeneous ATT(g,t)


def _replicate(n_reps, covariates, seed0):
    rows = []
    for rep in range(n_reps):
        sim = simulate_staggered(n_units=600, n_periods=7, n_cohorts=3, seed=seed0 + rep,
                                 covariate_shift=0.5 if covariates else 0.0)
        res = staggered(sim.data, outcome="y", unit="unit", time="time", first_treated="first_treated",
                        covariates=covariates, n_boot=0)
        rows.append(res.att_gt.merge(sim.true_att, on=["group", "time"]).assign(rep=rep))
    return pd.concat(rows, ignore_index=True)


@pytest.mark.slow
@pytest.mark.parametrize(("covariates", "n_reps"), [((), 200), (("x",), 100)])
def test_simulation_recovers_att_and_covers(covariates, n_reps):
    """Effects (1 + e)(0.5 + 0.25 r) differ by cohort and grow with exposure; with covariate_shift the trends
    depend on x, so only the doubly robust estimator with x is unbiased.  Every cell's mean error is within
    3.5 Monte-Carlo SEs (15-18 cells: a chance of about 1% that any cell exceeds it under no bias) and the
    pooled 95% intervals cover 92-98% of the time."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DesignWarning)
        out = _replicate(n_reps, list(covariates), seed0=1000)
    out["error"] = out["estimate"] - out["att"]
    by_cell = out.groupby(["group", "time"])["error"].agg(["mean", "std", "count"])
    t_stats = by_cell["mean"] / (by_cell["std"] / np.sqrt(by_cell["count"]))
    assert t_stats.abs().max() < 3.5
    assert by_cell.shape[0] == 18
    covered = (out["ci_low"] <= out["att"]) & (out["att"] <= out["ci_high"])
    assert 0.92 <= covered.mean() <= 0.98
    assert out["att"].max() == 2.5  # cohort 3 at t = 7: (1 + 4) * 0.5


@pytest.mark.slow
def test_unconditional_estimator_is_biased_when_trends_depend_on_x():
    """The check above has power: without x the same design gives ATT(3,7) biased by 0.2 * (7 - 2) * 0.5."""
    rows = []
    for k in range(20):
        sim = simulate_staggered(n_units=600, n_periods=7, n_cohorts=3, seed=k, covariate_shift=0.5)
        res = fit(sim.data.rename(columns={"y": "lemp", "unit": "countyreal", "time": "year",
                                           "first_treated": "first.treat"}), n_boot=0)
        rows.append(res.att_gt.merge(sim.true_att, on=["group", "time"]).query("time == 7 and group == 3"))
    late = pd.concat(rows)
    assert (late["estimate"] - late["att"]).mean() == pytest.approx(0.5, abs=0.15)
