/**
 * The exact one-sample two-sided Kolmogorov distribution D_n = sup_t |F_n(t) − F(t)|,
 * as `scipy.stats.kstwo` (scipy 1.17, `scipy/stats/_ksstats.py`) computes it.
 *
 * Branch selection follows Simard & L'Ecuyer (2011), "Computing the Two-Sided
 * Kolmogorov-Smirnov Distribution", J. Stat. Software 39(11), as implemented by scipy:
 *  - t = n·x ≤ 1 (Ruben–Gambino): P(D_n ≤ x) = n!/nⁿ · (2t − 1)ⁿ for ½ < t ≤ 1.
 *  - t ≥ n − 1 (Ruben–Gambino): P(D_n ≥ x) = 2(1 − x)ⁿ.
 *  - x ≥ ½: P(D_n ≥ x) = 2·P(D_n⁺ ≥ x) exactly (the two one-sided events are disjoint).
 *  - n ≤ 140: Durbin matrix (n·x² ≤ 0.754693), Pomeranz recursion (≤ 4), else 2·smirnov.
 *  - n > 140 (survival function): 0 for n·x² ≥ 370, 2·smirnov for n·x² ≥ 2.2, otherwise
 *    1 − CDF with the CDF from the Durbin matrix (n ≤ 10⁵ and n·x^1.5 ≤ 1.4) or Pelz–Good.
 * Pure, no I/O. Every result is a finite number in [0, 1].
 */

const E128 = 128;
const EP128 = 2 ** 128;
const EM128 = 2 ** -128;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const MIN_LOG = -708;
const SQRT3 = Math.sqrt(3);
const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;
/** cephes MINLOG = log(2^-1022). */
const CEPHES_MINLOG = -7.08396418532264106224e2;
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;
const EPS = 2 ** -52;

/** Stirling coefficients B_{2j}/(2j)/(2j−1), j = 8…1 (highest power first, as np.polyval). */
const STIRLING_COEFFS = [
  -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4, -5.952380952380952381e-4, 7.9365079365079365079e-4,
  -2.7777777777777777778e-3, 8.3333333333333333333e-2,
];

const clip01 = (p: number): number => (p < 0 ? 0 : p > 1 ? 1 : p);

/** x · 2^e without intermediate overflow/underflow of 2^e. */
function ldexp(x: number, e: number): number {
  let r = x;
  let k = e;
  while (k > 1000) {
    r *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    r *= 2 ** -1000;
    k += 1000;
  }
  return r * 2 ** k;
}

/** log(n!/nⁿ) by Stirling's series with n·log(n) removed up front (no cancellation). */
function logNFactorialDivNPowN(n: number): number {
  const rn = 1 / n;
  const y = rn / n;
  let poly = 0;
  for (const c of STIRLING_COEFFS) poly = poly * y + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

/**
 * Exact n·x split as floor and fractional part (cephes `modNX`): Dekker's two-product gives
 * n·x = p + err exactly, so x = k/n is recognised as an integer boundary.
 */
function modNX(n: number, x: number): { nxfl: number; alpha: number; nx: number } {
  const p = n * x;
  const split = (a: number): [number, number] => {
    const c = 134217729 * a; // 2^27 + 1
    const hi = c - (c - a);
    return [hi, a - hi];
  };
  const [ah, al] = split(n);
  const [bh, bl] = split(x);
  const err = ah * bh - p + ah * bl + al * bh + al * bl;
  let fl = Math.floor(p);
  let alpha = p - fl + err;
  if (alpha < 0) {
    fl -= 1;
    alpha += 1;
  }
  if (alpha >= 1) {
    fl += 1;
    alpha -= 1;
  }
  return { nxfl: fl, alpha, nx: p };
}

/**
 * Survival function of the one-sided statistic, P(D_n⁺ ≥ x) (scipy.special.smirnov, cephes
 * kolmogorov.h). Smirnov (1944) / Birnbaum & Tingey (1951):
 *   P(D_n⁺ ≥ x) = x · Σ_{v=0}^{⌊n(1−x)⌋} C(n,v) (x + v/n)^{v−1} (1 − x − v/n)^{n−v}.
 * Terms are summed in log space (all positive, so no cancellation); the binomial is updated
 * incrementally as mantissa × 2^exponent, and the loop stops early as cephes does. Only the
 * lower sum is implemented: the upper sum is never selected for the arguments kolmogn uses.
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) throw new RangeError(`smirnov: bad arguments n=${n}, x=${x}`);
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const { nxfl, alpha } = modNX(n, x);
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  if (alpha === 0) n1mxfl -= 1;
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    return clip01(1 - x * (1 + x) ** (n - 1));
  }
  if (-2 * n * x * x < CEPHES_MINLOG) return 0;
  if (nxfl >= n - 1) return clip01((1 - x) ** n);
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    // p ≈ exp(−(6nx + 1)² / 18n)
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    return clip01(logp < -Math.LN2 ? Math.exp(logp) : 1 - -Math.expm1(logp));
  }
  const nTerms = n1mxfl + 1;
  const vmid = Math.floor(n / 2);
  let sum = (1 - x) ** n / x;
  let cman = n; // C(n, 1) after updating for j = 0
  let cexpt = 0;
  for (let j = 1; j < nTerms; j++) {
    const v = j;
    // x + v/n and 1 − x − v/n from the exact split n·x = nxfl + alpha
    const t1x = (nxfl + v + alpha) / n;
    const t2x = (n - nxfl - v - alpha) / n;
    const e = cexpt * Math.LN2 + (v - 1) * Math.log(t1x) + (n - v) * Math.log(t2x);
    // cman ∈ [2^-128, 2^128]: multiply outside exp unless exp(e) could underflow
    let aj: number;
    if (e > -600) aj = cman * Math.exp(e);
    else {
      const logA = e + Math.log(cman);
      aj = logA < -745.2 ? 0 : Math.exp(logA);
    }
    if (Number.isFinite(aj) && aj !== 0) sum += aj;
    if (aj !== 0) {
      if (4 * (nTerms - j) * aj < EPS * sum && j !== nTerms - 1) break;
    } else if (j > vmid) {
      break;
    }
    cman *= (n - j) / (j + 1);
    if (cman > EP128) {
      cman *= EM128;
      cexpt += E128;
    } else if (cman < EM128) {
      cman *= EP128;
      cexpt -= E128;
    }
  }
  return clip01(x * sum);
}

/**
 * Durbin (1968) matrix algorithm in the form of Marsaglia, Tsang & Wang (2003):
 * write n·d = k − h (k integer, 0 ≤ h < 1), build the m×m matrix H (m = 2k − 1) with
 * H[i][j] = 1/(i−j+1)! for i−j+1 ≥ 0 and the boundary column/row v_i = (1 − h^i)/i!,
 * corner (1 − 2hᵐ + max(0, 2h−1)ᵐ)/m!; then P(D_n < d) = n!/nⁿ · (Hⁿ)_{kk}.
 * Powers are taken by squaring with separate power-of-two exponents for H and the
 * accumulated product (scipy keeps these in long double; we rescale both in double).
 */
function kolmognDMTW(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  let H: Float64Array = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1]!;
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;

  let P: Float64Array | null = null; // null = identity
  let pExp = 0;
  let hExp = 0;
  const kk = (k - 1) * m + (k - 1);
  let nn = n;
  while (nn > 0) {
    if (nn % 2) {
      P = P === null ? H.slice() : matmul(P, H, m);
      pExp += hExp;
      if (Math.abs(P[kk]!) > EP128) {
        scale(P, EM128);
        pExp += E128;
      }
    }
    nn = Math.floor(nn / 2);
    if (nn === 0) break;
    H = matmul(H, H, m);
    hExp *= 2;
    if (Math.abs(H[kk]!) > EP128) {
      scale(H, EM128);
      hExp += E128;
    }
  }
  let p = P![kk]!;
  // multiply by n!/nⁿ
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= EP128;
      pExp -= E128;
    }
  }
  if (pExp !== 0) p = ldexp(p, pExp);
  return clip01(p);
}

function scale(a: Float64Array, s: number): void {
  for (let i = 0; i < a.length; i++) a[i]! *= s;
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const ci = i * m;
    for (let l = 0; l < m; l++) {
      const ail = a[ci + l]!;
      if (ail === 0) continue;
      const bl = l * m;
      for (let j = 0; j < m; j++) c[ci + j]! += ail * b[bl + j]!;
    }
  }
  return c;
}

function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/**
 * Pomeranz (1974) recursion, CACM Algorithm 487, as in Simard & L'Ecuyer §2: 2n+1 rows, each
 * the convolution of the previous row with (truncated, unnormalised) Poisson weights
 * (g/n)^j/j!, (2g/n)^j/j! or ((1−2g)/n)^j/j! with g = min(f, 1−f), f = frac(n·x);
 * P(D_n ≤ x) = n! · V[2n+1][n]. Used for n ≤ 140 only.
 */
function kolmognPomeranz(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = 1;
  twogpower[0] = 1;
  onem2gpower[0] = 1;
  let expnt = 0;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1]! * gOverN) / m;
    twogpower[m] = (twogpower[m - 1]! * twoGOverN) / m;
    onem2gpower[m] = (onem2gpower[m - 1]! * oneMinusTwoGOverN) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let [j1, j2] = pomeranzJ1J2(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // numpy slices clamp at the array end; mirror that
      const aStart = k1 - V0s;
      const aLen = Math.max(0, Math.min(ln2, npwrs - aStart));
      const bLen = Math.min(ln2, npwrs);
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      let maxV = 0;
      for (let c = 0; c < convLen; c++) {
        const idx = convStart + c; // full convolution index
        let s = 0;
        const lo = Math.max(0, idx - bLen + 1);
        const hi = Math.min(aLen - 1, idx);
        for (let a = lo; a <= hi; a++) s += V0[aStart + a]! * pwrs[idx - a]!;
        V1[c] = s;
        if (s > maxV) maxV = s;
      }
      if (maxV > 0 && maxV < EM128) {
        scale(V1, EP128);
        expnt -= E128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > EP128) {
      ans *= EM128;
      expnt += E128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans = ldexp(ans, expnt);
  return clip01(ans);
}

/**
 * Pelz & Good (1976) approximation of P(D_n ≤ x): the Li-Chien/Korolyuk expansion
 * K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^1.5, z = x√n, with each K_i rewritten through the
 * Jacobi theta functional equation into sums of q^{(2k−1)²}, q = exp(−π²/(8z²)).
 * Returns the CDF if `cdf`, else the survival function (1 − K0 − K1 − K2 − K3).
 */
function kolmognPelzGood(n: number, x: number, cdf: boolean): number {
  if (x <= 0) return cdf ? 0 : 1;
  if (x >= 1) return cdf ? 1 : 0;
  const z = Math.sqrt(n) * x;
  const zsquared = z ** 2;
  const zthree = z ** 3;
  const zfour = z ** 4;
  const zsix = z ** 6;
  const qlog = -PI_SQUARED / 8 / zsquared;
  if (qlog < MIN_LOG) return cdf ? 0 : 1;
  let q = Math.exp(qlog);
  const k1a = -zsquared;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * zsix + 2 * zfour;
  const k2b = ((2 * zfour - 5 * zsquared) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * zsquared)) / 16;
  const k3d = (PI_SIX * (5 - 30 * zsquared)) / 64;
  const k3c = (PI_FOUR * (-60 * zsquared + 212 * zfour)) / 16;
  const k3b = (PI_SQUARED * (135 * zfour - 96 * zsix)) / 4;
  const k3a = -30 * zsix - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const msquared = m ** 2;
    const mfour = m ** 4;
    const msix = m ** 6;
    const qpower = q ** (8 * k);
    K[0] = K[0]! * qpower + 1;
    K[1] = K[1]! * qpower + (k1a + k1b * msquared);
    K[2] = K[2]! * qpower + (k2a + k2b * msquared + k2c * mfour);
    K[3] = K[3]! * qpower + (k3a + k3b * msquared + k3c * mfour + k3d * msix);
  }
  const denom = [z, 6 * zfour, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT2PI) / denom[i]!;
  // Second sum over all integers k (K2 and K3 only)
  q = Math.exp(-PI_SQUARED / 2 / zsquared);
  const sqrt3z = SQRT3 * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const ksq = k * k;
    const qp = q ** ksq;
    const kspi = Math.PI * k;
    k2extra += ksq * qp;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp;
  }
  K[2] = K[2]! + k2extra * ((PI_SQUARED * SQRT2PI) / (-36 * zthree));
  K[3] = K[3]! + k3extra * ((PI_SQUARED * SQRT2PI) / (216 * zsix));
  for (let i = 1; i < 4; i++) K[i] = K[i]! / n ** (i / 2);
  if (!cdf) {
    for (let i = 0; i < 4; i++) K[i] = -K[i]!;
    K[0] = K[0]! + 1;
  }
  return K[0]! + K[1]! + K[2]! + K[3]!;
}

/**
 * P(D_n ≤ x) (cdf = true) or P(D_n > x) (cdf = false), scipy `_kolmogn`: the Simard &
 * L'Ecuyer (2011) selection of exact and asymptotic methods by n and n·x².
 */
export function kolmogn(n: number, x: number, cdf: boolean): number {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`kolmogn: n must be a positive integer, got ${n}`);
  if (Number.isNaN(x)) throw new RangeError('kolmogn: x is NaN');
  const pick = (c: number, s: number): number => clip01(cdf ? c : s);
  if (x >= 1) return pick(1, 0);
  if (x <= 0) return pick(0, 1);
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return pick(0, 1);
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    }
    return pick(prob, 1 - prob);
  }
  if (t >= n - 1) {
    const prob = 2 * (1 - x) ** n;
    return pick(1 - prob, prob);
  }
  if (x >= 0.5) {
    const prob = 2 * smirnovSf(n, x);
    return pick(1 - prob, prob);
  }
  const nxsquared = t * x;
  if (n <= 140) {
    if (nxsquared <= 0.754693) {
      const prob = kolmognDMTW(n, x);
      return pick(prob, 1 - prob);
    }
    if (nxsquared <= 4) {
      const prob = kolmognPomeranz(n, x);
      return pick(prob, 1 - prob);
    }
    const prob = 2 * smirnovSf(n, x);
    return pick(1 - prob, prob);
  }
  if (!cdf) {
    if (nxsquared >= 370) return 0;
    if (nxsquared >= 2.2) return clip01(2 * smirnovSf(n, x));
  }
  let cdfprob: number;
  if (nxsquared >= 18) cdfprob = 1;
  else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdfprob = kolmognDMTW(n, x);
  else cdfprob = kolmognPelzGood(n, x, true);
  return pick(cdfprob, 1 - cdfprob);
}

/**
 * Survival function of the exact Kolmogorov distribution: `scipy.stats.kstwo.sf(x, n)`,
 * i.e. P(D_n > x) for D_n = sup |F_n − F| of n draws. Support is [1/(2n), 1]: 1 at or below
 * the lower end, 0 at or above 1.
 */
export function kolmognSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`kolmognSf: n must be a positive integer, got ${n}`);
  if (Number.isNaN(x)) throw new RangeError('kolmognSf: x is NaN');
  if (x <= 0.5 / n) return 1;
  if (x >= 1) return 0;
  return kolmogn(n, x, false);
}
