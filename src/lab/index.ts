/** The virtual rack's public surface. */
export { labCommand } from './cli.ts';
export { labDown, type LabDownOptions, type LabDownReport } from './down.ts';
export { FAULT_DESCRIPTIONS, labFault, type FaultOptions } from './faults.ts';
export { ensureImage, type ImageOptions, type LabImage } from './image.ts';
export { BRIDGE, LAB_SUBNET, MASTER_IP, labDir, labIp, labMac, stackPis } from './paths.ts';
export { labExec, labPiAddress, type LabExecOptions } from './pi-exec.ts';
export { SLAVE_UNIT, labRackYaml } from './rack-yaml.ts';
export { labSwap, swappedMac, type LabSwapOptions, type LabSwapResult } from './swap.ts';
export { defaultSensors, setLabSensors, SENSORS_IN_PI, type SensorValues } from './sensors.ts';
export { createLabRelay, type LabRelayOptions } from './relay.ts';
export { FAULT_KINDS, readState, type FaultKind, type LabState, type LabPiState } from './state.ts';
export { formatLabStatus, labStatus, type LabPiStatus, type LabStatus } from './status.ts';
export { labUp, type LabUpOptions, type LabUpResult } from './up.ts';
