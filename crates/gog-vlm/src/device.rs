//! Compute devices: which one the model runs on, what its adapter can do, and reading results
//! back without the synchronous readback that browsers cannot do.

use burn::tensor::{Device, Tensor};
use std::fmt;

/// Where tensors live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// burn's pure-Rust `flex` backend on the CPU.
    Cpu,
    /// The browser's WebGPU adapter.
    WebGpu,
}

/// The largest storage-buffer binding every WebGPU adapter allows (the specification's default
/// `maxStorageBufferBindingSize`): no weight buffer a model binds is larger.
pub const MAX_BINDING_BYTES: usize = 128 * 1024 * 1024;

/// What a GPU adapter is and what it allows: the facts that decide whether a model package
/// fits (buffer limits) and which weights it can use (`shader-f16`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterInfo {
    /// A readable name: the browser's description of the adapter, or its vendor and
    /// architecture when the description is withheld (browsers may withhold it for privacy).
    pub name: String,
    /// A software or otherwise reduced adapter, such as SwiftShader.
    pub is_fallback: bool,
    /// The graphics API under wgpu (`BrowserWebGpu` in a browser).
    pub backend: String,
    /// The driver's description, when the platform reports one.
    pub driver: String,
    /// Whether shaders may use `f16`.
    pub shader_f16: bool,
    /// Largest buffer, in bytes.
    pub max_buffer_size: u64,
    /// Largest storage-buffer binding, in bytes: caps the size of one weight shard.
    pub max_storage_buffer_binding_size: u64,
}

impl fmt::Display for AdapterInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.name.is_empty() {
            "(unnamed)"
        } else {
            &self.name
        };
        let fallback = if self.is_fallback { " (fallback)" } else { "" };
        write!(
            f,
            "{name}{fallback} [{}{}] shader-f16={} maxBufferSize={} maxStorageBufferBindingSize={}",
            self.backend,
            if self.driver.is_empty() {
                String::new()
            } else {
                format!(", {}", self.driver)
            },
            self.shader_f16,
            self.max_buffer_size,
            self.max_storage_buffer_binding_size,
        )
    }
}

/// A device could not be set up or could not return data.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("no WebGPU adapter: {0}")]
    WebGpuUnavailable(String),
    #[error("reading a tensor back from the {kind:?} device failed: {message}")]
    Readback { kind: DeviceKind, message: String },
    /// WebGPU rejected work (an invalid shader or pipeline, an out-of-memory buffer): the results
    /// read back since then cannot be trusted.
    #[error("the GPU rejected the computation: {}", .0.join("; "))]
    Gpu(Vec<String>),
}

#[cfg(target_family = "wasm")]
thread_local! {
    /// The page's WebGPU device, once set up.
    static WEBGPU: std::cell::RefCell<Option<ComputeDevice>> = const { std::cell::RefCell::new(None) };
}

/// A burn device together with what is known about it.
#[derive(Debug, Clone)]
pub struct ComputeDevice {
    device: Device,
    kind: DeviceKind,
    adapter: Option<AdapterInfo>,
    /// WebGPU errors reported since the last readback.
    gpu_errors: Option<GpuErrors>,
}

/// Where WebGPU's uncaptured errors are collected. WebGPU reports them only through a callback,
/// never on the operation at fault, and a failed shader leaves its output buffer as it was; so
/// every readback checks here and fails instead of returning stale numbers.
#[derive(Debug, Clone, Default)]
struct GpuErrors(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl GpuErrors {
    fn take(&self) -> Vec<String> {
        match self.0.lock() {
            Ok(mut errors) => std::mem::take(&mut *errors),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }
}

impl ComputeDevice {
    /// The CPU, through burn's `flex` backend. Always available.
    pub fn cpu() -> Self {
        ComputeDevice {
            device: Device::flex(),
            kind: DeviceKind::Cpu,
            adapter: None,
            gpu_errors: None,
        }
    }

    /// The browser's WebGPU adapter. Must be awaited before any tensor is created on it. The
    /// first call sets the device up; later calls return the same device.
    #[cfg(target_family = "wasm")]
    pub async fn webgpu() -> Result<Self, DeviceError> {
        // The runtime registers the browser's device once per page; later calls share it.
        if let Some(gpu) = WEBGPU.with(|cell| cell.borrow().clone()) {
            return Ok(gpu);
        }
        let gpu = Self::init_webgpu().await?;
        WEBGPU.with(|cell| *cell.borrow_mut() = Some(gpu.clone()));
        Ok(gpu)
    }

    #[cfg(target_family = "wasm")]
    async fn init_webgpu() -> Result<Self, DeviceError> {
        let (device, setup) = Device::wgpu_options()
            .init_with_setup_async()
            .await
            .map_err(|err| DeviceError::WebGpuUnavailable(err.to_string()))?;
        let info = setup.adapter.get_info();
        let limits = setup.adapter.limits();
        let features = setup.adapter.features();
        // wgpu passes on only the description, which browsers often leave empty.
        let browser_name = match gog_webgpu::probe().await {
            gog_webgpu::WebGpuStatus::Available(report) => Some(report.name),
            gog_webgpu::WebGpuStatus::Unavailable(_) => None,
        };
        let adapter = AdapterInfo {
            name: browser_name
                .filter(|name| !name.is_empty())
                .unwrap_or(info.name),
            // wgpu reports the browser's `isFallbackAdapter` as a CPU device type.
            is_fallback: info.device_type == burn::tensor::wgpu::wgpu::DeviceType::Cpu,
            backend: format!("{:?}", info.backend),
            driver: [info.driver, info.driver_info]
                .into_iter()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
            shader_f16: features.contains(burn::tensor::wgpu::wgpu::Features::SHADER_F16),
            max_buffer_size: limits.max_buffer_size,
            max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
        };
        let mut gpu = ComputeDevice {
            device,
            kind: DeviceKind::WebGpu,
            adapter: Some(adapter),
            gpu_errors: None,
        };
        // The runtime installs its own error handler, which panics, when the device first runs
        // something; run something, then replace it with one that records the error for the
        // next readback.
        gpu.read_f32(Tensor::<1>::zeros([1], &gpu.device)).await?;
        let errors = GpuErrors::default();
        let sink = errors.clone();
        setup
            .device
            .on_uncaptured_error(std::sync::Arc::new(move |error| {
                if let Ok(mut errors) = sink.0.lock() {
                    errors.push(error.to_string());
                }
            }));
        gpu.gpu_errors = Some(errors);
        Ok(gpu)
    }

    /// The burn device to create tensors on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn kind(&self) -> DeviceKind {
        self.kind
    }

    /// The GPU adapter, or `None` on the CPU.
    pub fn adapter(&self) -> Option<&AdapterInfo> {
        self.adapter.as_ref()
    }

    /// Fails with the GPU's errors reported since the last check, if any.
    pub fn check(&self) -> Result<(), DeviceError> {
        match self.gpu_errors.as_ref().map(GpuErrors::take) {
            Some(errors) if !errors.is_empty() => Err(DeviceError::Gpu(errors)),
            _ => Ok(()),
        }
    }

    /// Copies a float tensor to the host. Asynchronous because WebGPU can only map buffers
    /// asynchronously; on the CPU it completes at once.
    pub async fn read_f32<const D: usize>(
        &self,
        tensor: Tensor<D>,
    ) -> Result<Vec<f32>, DeviceError> {
        let readback = |message: String| DeviceError::Readback {
            kind: self.kind,
            message,
        };
        let data = tensor
            .into_data_async()
            .await
            .map_err(|err| readback(format!("{err:?}")))?;
        if let Err(DeviceError::Gpu(mut errors)) = self.check() {
            // The rest of the failed work's errors arrive in later callbacks: let one more
            // round trip through the queue deliver them, so they are reported here and not
            // blamed on the next computation.
            let _ = Tensor::<1>::zeros([1], &self.device)
                .into_data_async()
                .await;
            if let Err(DeviceError::Gpu(more)) = self.check() {
                errors.extend(more);
            }
            return Err(DeviceError::Gpu(errors));
        }
        data.try_into_vec::<f32>()
            .map_err(|err| readback(format!("{err:?}")))
    }
}
