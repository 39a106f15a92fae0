using MathNet.Numerics.LinearAlgebra;

namespace Toolkit.Evaluate.Statistics;

/// <summary>
/// Weighted logistic regression with soft labels, fitted by Newton–Raphson (IRLS) on MathNet matrices: maximizes
/// Σ wᵢ [yᵢ log σ(xᵢ·β) + (1 − yᵢ) log(1 − σ(xᵢ·β))] for yᵢ ∈ [0, 1] — the same as duplicating each row with label 1
/// (weight wᵢyᵢ) and label 0 (weight wᵢ(1 − yᵢ)), which is how AlpacaEval and Chatbot Arena feed sklearn. No
/// penalty (sklearn <c>penalty=None</c>); a 1e-9 ridge keeps the Hessian invertible when a column is constant.
/// </summary>
public static class Logistic
{
    /// <summary>σ(z) = 1 / (1 + e^−z).</summary>
    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    /// <summary>β (length = columns of <paramref name="x"/>) for rows x (n × k), labels y (n) in [0, 1], weights w (n, default 1).</summary>
    public static double[] Fit(double[][] x, double[] y, double[]? w = null, int maxIterations = 100)
    {
        var n = x.Length;
        var k = n == 0 ? 0 : x[0].Length;
        var X = Matrix<double>.Build.DenseOfRowArrays(x);
        var beta = Vector<double>.Build.Dense(k);
        for (var it = 0; it < maxIterations; it++)
        {
            var z = X * beta;
            var grad = Vector<double>.Build.Dense(k);
            var h = Matrix<double>.Build.Dense(k, k);
            for (var i = 0; i < n; i++)
            {
                var p = Sigmoid(z[i]);
                var wi = w?[i] ?? 1.0;
                var row = X.Row(i);
                grad += row * (wi * (y[i] - p));
                h += row.OuterProduct(row) * (wi * p * (1 - p));
            }
            h += Matrix<double>.Build.DenseIdentity(k) * 1e-9;
            var step = h.Solve(grad);
            // Halve the step while it lowers the likelihood (keeps separable data from oscillating).
            var ll = LogLik(X, y, w, beta);
            var t = 1.0;
            var next = beta + step;
            while (LogLik(X, y, w, next) < ll - 1e-12 && t > 1e-6) { t /= 2; next = beta + step * t; }
            beta = next;
            if (step.AbsoluteMaximum() * t < 1e-10) break;
        }
        return beta.ToArray();
    }

    static double LogLik(Matrix<double> x, double[] y, double[]? w, Vector<double> beta)
    {
        var z = x * beta;
        var s = 0.0;
        for (var i = 0; i < y.Length; i++)
        {
            // log σ(z) = −log(1 + e^−z), computed stably.
            var lp = -Softplus(-z[i]);
            var lq = -Softplus(z[i]);
            s += (w?[i] ?? 1.0) * (y[i] * lp + (1 - y[i]) * lq);
        }
        return s;
    }

    static double Softplus(double v) => v > 30 ? v : Math.Log(1 + Math.Exp(v));
}
