using System.Runtime.CompilerServices;

namespace Toolkit.Runtime.Ort;

/// <summary>
/// The <c>OrtApi</c> function table of onnxruntime_c_api.h, read once by index (entry i sits at byte offset i*8 of the
/// struct that <c>OrtGetApiBase()->GetApi(ORT_API_VERSION)</c> returns). Field names are the C member names, so one grep
/// follows a call from C# to the header. Indices come from shared/reference/ortapi-index.tsv (the table is append-only:
/// 1.30 keeps 1.29's indices). Every <c>nint</c> carries its C type in a comment; a returned <c>nint /* OrtStatus* */</c>
/// must go through <see cref="OrtStatus.Check(nint)"/>.
/// </summary>
/// <remarks>This is the raw table; the safe API is <see cref="OrtSession"/>, <see cref="OrtValue"/> and friends.</remarks>
internal static unsafe class OrtApi
{
    // --- status --------------------------------------------------------------------------------------------------
    /// <summary>[0] OrtStatus* CreateStatus(OrtErrorCode code, const char* msg)</summary>
    internal static readonly delegate* unmanaged<int, byte*, nint /* OrtStatus* */> CreateStatus;
    /// <summary>[1] OrtErrorCode GetErrorCode(const OrtStatus*)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtStatus* */, int> GetErrorCode;
    /// <summary>[2] const char* GetErrorMessage(const OrtStatus*)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtStatus* */, byte*> GetErrorMessage;
    /// <summary>[93] void ReleaseStatus(OrtStatus*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtStatus* */, void> ReleaseStatus;

    // --- environment ---------------------------------------------------------------------------------------------
    /// <summary>[3] CreateEnv(OrtLoggingLevel, const char* logid, OrtEnv** out)</summary>
    internal static readonly delegate* unmanaged<int, byte*, nint* /* OrtEnv** */, nint> CreateEnv;
    /// <summary>[92] void ReleaseEnv(OrtEnv*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtEnv* */, void> ReleaseEnv;

    // --- session options -----------------------------------------------------------------------------------------
    /// <summary>[10] CreateSessionOptions(OrtSessionOptions** out)</summary>
    internal static readonly delegate* unmanaged<nint* /* OrtSessionOptions** */, nint> CreateSessionOptions;
    /// <summary>[13] SetSessionExecutionMode(OrtSessionOptions*, ExecutionMode)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtSessionOptions* */, int, nint> SetSessionExecutionMode;
    /// <summary>[16] EnableMemPattern(OrtSessionOptions*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtSessionOptions* */, nint> EnableMemPattern;
    /// <summary>[17] DisableMemPattern(OrtSessionOptions*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtSessionOptions* */, nint> DisableMemPattern;
    /// <summary>[18] EnableCpuMemArena(OrtSessionOptions*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtSessionOptions* */, nint> EnableCpuMemArena;
    /// <summary>[19] DisableCpuMemArena(OrtSessionOptions*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtSessionOptions* */, nint> DisableCpuMemArena;
    /// <summary>[23] SetSessionGraphOptimizationLevel(OrtSessionOptions*, GraphOptimizationLevel)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtSessionOptions* */, int, nint> SetSessionGraphOptimizationLevel;
    /// <summary>[24] SetIntraOpNumThreads(OrtSessionOptions*, int)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtSessionOptions* */, int, nint> SetIntraOpNumThreads;
    /// <summary>[25] SetInterOpNumThreads(OrtSessionOptions*, int)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtSessionOptions* */, int, nint> SetInterOpNumThreads;
    /// <summary>[130] AddSessionConfigEntry(OrtSessionOptions*, const char* key, const char* value)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtSessionOptions* */, byte*, byte*, nint> AddSessionConfigEntry;
    /// <summary>[100] void ReleaseSessionOptions(OrtSessionOptions*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtSessionOptions* */, void> ReleaseSessionOptions;

    // --- session -------------------------------------------------------------------------------------------------
    /// <summary>[7] CreateSession(const OrtEnv*, const char* model_path (UTF-8 on Linux), const OrtSessionOptions*, OrtSession** out)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtEnv* */, byte*, nint /* const OrtSessionOptions* */, nint* /* OrtSession** */, nint> CreateSession;
    /// <summary>[8] CreateSessionFromArray(const OrtEnv*, const void* model_data, size_t model_data_length, const OrtSessionOptions*, OrtSession** out)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtEnv* */, void*, nuint, nint /* const OrtSessionOptions* */, nint* /* OrtSession** */, nint> CreateSessionFromArray;
    /// <summary>[9] Run(OrtSession*, const OrtRunOptions* (nullable), const char* const* input_names, const OrtValue* const* inputs, size_t input_len, const char* const* output_names, size_t output_names_len, OrtValue** outputs)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtSession* */, nint /* const OrtRunOptions* */, byte**, nint* /* const OrtValue* const* */, nuint, byte**, nuint, nint* /* OrtValue** */, nint> Run;
    /// <summary>[30] SessionGetInputCount(const OrtSession*, size_t* out)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtSession* */, nuint*, nint> SessionGetInputCount;
    /// <summary>[31] SessionGetOutputCount(const OrtSession*, size_t* out)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtSession* */, nuint*, nint> SessionGetOutputCount;
    /// <summary>[33] SessionGetInputTypeInfo(const OrtSession*, size_t index, OrtTypeInfo** type_info)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtSession* */, nuint, nint* /* OrtTypeInfo** */, nint> SessionGetInputTypeInfo;
    /// <summary>[34] SessionGetOutputTypeInfo(const OrtSession*, size_t index, OrtTypeInfo** type_info)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtSession* */, nuint, nint* /* OrtTypeInfo** */, nint> SessionGetOutputTypeInfo;
    /// <summary>[36] SessionGetInputName(const OrtSession*, size_t index, OrtAllocator*, char** value) — free value with AllocatorFree</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtSession* */, nuint, nint /* OrtAllocator* */, byte**, nint> SessionGetInputName;
    /// <summary>[37] SessionGetOutputName(const OrtSession*, size_t index, OrtAllocator*, char** value) — free value with AllocatorFree</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtSession* */, nuint, nint /* OrtAllocator* */, byte**, nint> SessionGetOutputName;
    /// <summary>[95] void ReleaseSession(OrtSession*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtSession* */, void> ReleaseSession;

    // --- run options ---------------------------------------------------------------------------------------------
    /// <summary>[39] CreateRunOptions(OrtRunOptions** out)</summary>
    internal static readonly delegate* unmanaged<nint* /* OrtRunOptions** */, nint> CreateRunOptions;
    /// <summary>[46] RunOptionsSetTerminate(OrtRunOptions*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtRunOptions* */, nint> RunOptionsSetTerminate;
    /// <summary>[47] RunOptionsUnsetTerminate(OrtRunOptions*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtRunOptions* */, nint> RunOptionsUnsetTerminate;
    /// <summary>[165] AddRunConfigEntry(OrtRunOptions*, const char* key, const char* value)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtRunOptions* */, byte*, byte*, nint> AddRunConfigEntry;
    /// <summary>[97] void ReleaseRunOptions(OrtRunOptions*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtRunOptions* */, void> ReleaseRunOptions;

    // --- values (tensors) ----------------------------------------------------------------------------------------
    /// <summary>[48] CreateTensorAsOrtValue(OrtAllocator*, const int64_t* shape, size_t shape_len, ONNXTensorElementDataType, OrtValue** out)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtAllocator* */, long*, nuint, int, nint* /* OrtValue** */, nint> CreateTensorAsOrtValue;
    /// <summary>[49] CreateTensorWithDataAsOrtValue(const OrtMemoryInfo*, void* p_data, size_t p_data_len (bytes), const int64_t* shape, size_t shape_len, ONNXTensorElementDataType, OrtValue** out)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtMemoryInfo* */, void*, nuint, long*, nuint, int, nint* /* OrtValue** */, nint> CreateTensorWithDataAsOrtValue;
    /// <summary>[50] IsTensor(const OrtValue*, int* out)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtValue* */, int*, nint> IsTensor;
    /// <summary>[51] GetTensorMutableData(OrtValue*, void** out)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtValue* */, void**, nint> GetTensorMutableData;
    /// <summary>[65] GetTensorTypeAndShape(const OrtValue*, OrtTensorTypeAndShapeInfo** out)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtValue* */, nint* /* OrtTensorTypeAndShapeInfo** */, nint> GetTensorTypeAndShape;
    /// <summary>[67] GetValueType(const OrtValue*, ONNXType* out)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtValue* */, int*, nint> GetValueType;
    /// <summary>[96] void ReleaseValue(OrtValue*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtValue* */, void> ReleaseValue;

    // --- type and shape info -------------------------------------------------------------------------------------
    /// <summary>[55] CastTypeInfoToTensorInfo(const OrtTypeInfo*, const OrtTensorTypeAndShapeInfo** out) — out is borrowed (null for non-tensors), never released</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtTypeInfo* */, nint* /* const OrtTensorTypeAndShapeInfo** */, nint> CastTypeInfoToTensorInfo;
    /// <summary>[56] GetOnnxTypeFromTypeInfo(const OrtTypeInfo*, ONNXType* out)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtTypeInfo* */, int*, nint> GetOnnxTypeFromTypeInfo;
    /// <summary>[60] GetTensorElementType(const OrtTensorTypeAndShapeInfo*, ONNXTensorElementDataType* out)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtTensorTypeAndShapeInfo* */, int*, nint> GetTensorElementType;
    /// <summary>[61] GetDimensionsCount(const OrtTensorTypeAndShapeInfo*, size_t* out)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtTensorTypeAndShapeInfo* */, nuint*, nint> GetDimensionsCount;
    /// <summary>[62] GetDimensions(const OrtTensorTypeAndShapeInfo*, int64_t* dim_values, size_t dim_values_length) — -1 for symbolic dims</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtTensorTypeAndShapeInfo* */, long*, nuint, nint> GetDimensions;
    /// <summary>[63] GetSymbolicDimensions(const OrtTensorTypeAndShapeInfo*, const char* dim_params[], size_t dim_params_length) — strings borrowed from info</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtTensorTypeAndShapeInfo* */, byte**, nuint, nint> GetSymbolicDimensions;
    /// <summary>[64] GetTensorShapeElementCount(const OrtTensorTypeAndShapeInfo*, size_t* out)</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtTensorTypeAndShapeInfo* */, nuint*, nint> GetTensorShapeElementCount;
    /// <summary>[98] void ReleaseTypeInfo(OrtTypeInfo*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtTypeInfo* */, void> ReleaseTypeInfo;
    /// <summary>[99] void ReleaseTensorTypeAndShapeInfo(OrtTensorTypeAndShapeInfo*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtTensorTypeAndShapeInfo* */, void> ReleaseTensorTypeAndShapeInfo;

    // --- memory --------------------------------------------------------------------------------------------------
    /// <summary>[69] CreateCpuMemoryInfo(OrtAllocatorType, OrtMemType, OrtMemoryInfo** out)</summary>
    internal static readonly delegate* unmanaged<int, int, nint* /* OrtMemoryInfo** */, nint> CreateCpuMemoryInfo;
    /// <summary>[76] AllocatorFree(OrtAllocator*, void* p)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtAllocator* */, void*, nint> AllocatorFree;
    /// <summary>[78] GetAllocatorWithDefaultOptions(OrtAllocator** out) — a process-wide allocator, never released</summary>
    internal static readonly delegate* unmanaged<nint* /* OrtAllocator** */, nint> GetAllocatorWithDefaultOptions;
    /// <summary>[94] void ReleaseMemoryInfo(OrtMemoryInfo*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtMemoryInfo* */, void> ReleaseMemoryInfo;

    // --- IO binding ----------------------------------------------------------------------------------------------
    /// <summary>[133] RunWithBinding(OrtSession*, const OrtRunOptions* (nullable), const OrtIoBinding*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtSession* */, nint /* const OrtRunOptions* */, nint /* const OrtIoBinding* */, nint> RunWithBinding;
    /// <summary>[134] CreateIoBinding(OrtSession*, OrtIoBinding** out)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtSession* */, nint* /* OrtIoBinding** */, nint> CreateIoBinding;
    /// <summary>[135] void ReleaseIoBinding(OrtIoBinding*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtIoBinding* */, void> ReleaseIoBinding;
    /// <summary>[136] BindInput(OrtIoBinding*, const char* name, const OrtValue*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtIoBinding* */, byte*, nint /* const OrtValue* */, nint> BindInput;
    /// <summary>[137] BindOutput(OrtIoBinding*, const char* name, const OrtValue*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtIoBinding* */, byte*, nint /* const OrtValue* */, nint> BindOutput;
    /// <summary>[138] BindOutputToDevice(OrtIoBinding*, const char* name, const OrtMemoryInfo*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtIoBinding* */, byte*, nint /* const OrtMemoryInfo* */, nint> BindOutputToDevice;
    /// <summary>[140] GetBoundOutputValues(const OrtIoBinding*, OrtAllocator*, OrtValue*** output, size_t* output_count) — each value released with ReleaseValue, the array freed with the same allocator</summary>
    internal static readonly delegate* unmanaged<nint /* const OrtIoBinding* */, nint /* OrtAllocator* */, nint** /* OrtValue*** */, nuint*, nint> GetBoundOutputValues;
    /// <summary>[141] void ClearBoundInputs(OrtIoBinding*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtIoBinding* */, void> ClearBoundInputs;
    /// <summary>[142] void ClearBoundOutputs(OrtIoBinding*)</summary>
    internal static readonly delegate* unmanaged<nint /* OrtIoBinding* */, void> ClearBoundOutputs;

    static OrtApi()
    {
        var t = (nint*)OrtLibrary.ApiTable();   // const OrtApi*, checked non-null
        CreateStatus = (delegate* unmanaged<int, byte*, nint>)t[0];
        GetErrorCode = (delegate* unmanaged<nint, int>)t[1];
        GetErrorMessage = (delegate* unmanaged<nint, byte*>)t[2];
        CreateEnv = (delegate* unmanaged<int, byte*, nint*, nint>)t[3];
        CreateSession = (delegate* unmanaged<nint, byte*, nint, nint*, nint>)t[7];
        CreateSessionFromArray = (delegate* unmanaged<nint, void*, nuint, nint, nint*, nint>)t[8];
        Run = (delegate* unmanaged<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint>)t[9];
        CreateSessionOptions = (delegate* unmanaged<nint*, nint>)t[10];
        SetSessionExecutionMode = (delegate* unmanaged<nint, int, nint>)t[13];
        EnableMemPattern = (delegate* unmanaged<nint, nint>)t[16];
        DisableMemPattern = (delegate* unmanaged<nint, nint>)t[17];
        EnableCpuMemArena = (delegate* unmanaged<nint, nint>)t[18];
        DisableCpuMemArena = (delegate* unmanaged<nint, nint>)t[19];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged<nint, int, nint>)t[23];
        SetIntraOpNumThreads = (delegate* unmanaged<nint, int, nint>)t[24];
        SetInterOpNumThreads = (delegate* unmanaged<nint, int, nint>)t[25];
        SessionGetInputCount = (delegate* unmanaged<nint, nuint*, nint>)t[30];
        SessionGetOutputCount = (delegate* unmanaged<nint, nuint*, nint>)t[31];
        SessionGetInputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)t[33];
        SessionGetOutputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)t[34];
        SessionGetInputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)t[36];
        SessionGetOutputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)t[37];
        CreateRunOptions = (delegate* unmanaged<nint*, nint>)t[39];
        RunOptionsSetTerminate = (delegate* unmanaged<nint, nint>)t[46];
        RunOptionsUnsetTerminate = (delegate* unmanaged<nint, nint>)t[47];
        CreateTensorAsOrtValue = (delegate* unmanaged<nint, long*, nuint, int, nint*, nint>)t[48];
        CreateTensorWithDataAsOrtValue = (delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint>)t[49];
        IsTensor = (delegate* unmanaged<nint, int*, nint>)t[50];
        GetTensorMutableData = (delegate* unmanaged<nint, void**, nint>)t[51];
        CastTypeInfoToTensorInfo = (delegate* unmanaged<nint, nint*, nint>)t[55];
        GetOnnxTypeFromTypeInfo = (delegate* unmanaged<nint, int*, nint>)t[56];
        GetTensorElementType = (delegate* unmanaged<nint, int*, nint>)t[60];
        GetDimensionsCount = (delegate* unmanaged<nint, nuint*, nint>)t[61];
        GetDimensions = (delegate* unmanaged<nint, long*, nuint, nint>)t[62];
        GetSymbolicDimensions = (delegate* unmanaged<nint, byte**, nuint, nint>)t[63];
        GetTensorShapeElementCount = (delegate* unmanaged<nint, nuint*, nint>)t[64];
        GetTensorTypeAndShape = (delegate* unmanaged<nint, nint*, nint>)t[65];
        GetValueType = (delegate* unmanaged<nint, int*, nint>)t[67];
        CreateCpuMemoryInfo = (delegate* unmanaged<int, int, nint*, nint>)t[69];
        AllocatorFree = (delegate* unmanaged<nint, void*, nint>)t[76];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged<nint*, nint>)t[78];
        ReleaseEnv = (delegate* unmanaged<nint, void>)t[92];
        ReleaseStatus = (delegate* unmanaged<nint, void>)t[93];
        ReleaseMemoryInfo = (delegate* unmanaged<nint, void>)t[94];
        ReleaseSession = (delegate* unmanaged<nint, void>)t[95];
        ReleaseValue = (delegate* unmanaged<nint, void>)t[96];
        ReleaseRunOptions = (delegate* unmanaged<nint, void>)t[97];
        ReleaseTypeInfo = (delegate* unmanaged<nint, void>)t[98];
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged<nint, void>)t[99];
        ReleaseSessionOptions = (delegate* unmanaged<nint, void>)t[100];
        AddSessionConfigEntry = (delegate* unmanaged<nint, byte*, byte*, nint>)t[130];
        RunWithBinding = (delegate* unmanaged<nint, nint, nint, nint>)t[133];
        CreateIoBinding = (delegate* unmanaged<nint, nint*, nint>)t[134];
        ReleaseIoBinding = (delegate* unmanaged<nint, void>)t[135];
        BindInput = (delegate* unmanaged<nint, byte*, nint, nint>)t[136];
        BindOutput = (delegate* unmanaged<nint, byte*, nint, nint>)t[137];
        BindOutputToDevice = (delegate* unmanaged<nint, byte*, nint, nint>)t[138];
        GetBoundOutputValues = (delegate* unmanaged<nint, nint, nint**, nuint*, nint>)t[140];
        ClearBoundInputs = (delegate* unmanaged<nint, void>)t[141];
        ClearBoundOutputs = (delegate* unmanaged<nint, void>)t[142];
        AddRunConfigEntry = (delegate* unmanaged<nint, byte*, byte*, nint>)t[165];
    }

    /// <summary>Touches the table so that the library loads and the version check runs now rather than at first use.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void EnsureLoaded() => _ = (nint)CreateStatus;
}
