using Toolkit.Train.Torch.Native;

namespace Toolkit.Train.Torch;

// C# operators. Each returns a fresh tensor (owned by the current dispose scope, if any). == and != are NOT
// overloaded (they stay reference equality); use eq / ne for elementwise comparison.
public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
    public static Tensor operator +(Tensor a, double s) => a.add(s);
    public static Tensor operator +(double s, Tensor a) => a.add(s);
    public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
    public static Tensor operator -(Tensor a, double s) => a.sub(s);
    public static Tensor operator -(double s, Tensor a) => From(Lib.tk_tensor_rsub_scalar(a.Handle, s));
    public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
    public static Tensor operator *(Tensor a, double s) => a.mul(s);
    public static Tensor operator *(double s, Tensor a) => a.mul(s);
    public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
    public static Tensor operator /(Tensor a, double s) => a.div(s);
    public static Tensor operator /(double s, Tensor a) => From(Lib.tk_tensor_rdiv_scalar(a.Handle, s));
    public static Tensor operator -(Tensor a) => a.neg();
    public static Tensor operator &(Tensor a, Tensor b) => a.logical_and(b);
    public static Tensor operator |(Tensor a, Tensor b) => a.logical_or(b);
    public static Tensor operator !(Tensor a) => a.logical_not();
}
